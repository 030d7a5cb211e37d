import { typedConfig } from '@tunnelgate/app-runtime';
import {
  hostPortField,
  logLevelField,
  parseEnv,
  urlField,
  type Env,
  describeEnv,
} from '@tunnelgate/config';
import * as z from 'zod/mini';

const schema = z.pipe(
  z.object({
    TUNNELGATE_API_URL: urlField('http://127.0.0.1:8081', ['http', 'https']),
    TUNNELGATE_GATEWAY_ADMIN_LISTEN: hostPortField('127.0.0.1:9091'),
    TUNNELGATE_LOG_LEVEL: logLevelField(),
  }),
  z.transform((env) => ({
    apiUrl: env.TUNNELGATE_API_URL.replace(/\/+$/, ''),
    adminListen: env.TUNNELGATE_GATEWAY_ADMIN_LISTEN,
    logLevel: env.TUNNELGATE_LOG_LEVEL,
  })),
);

/** The variables proxy-gateway reads (`main.js env`). */
export function gatewayEnvVariables() {
  return describeEnv(schema);
}

export type GatewayConfig = z.output<typeof schema>;

/** Parses proxy-gateway's environment; throws a ConfigError naming every bad variable. */
export function parseGatewayConfig(env: Env): GatewayConfig {
  return parseEnv('proxy-gateway', schema, env);
}

const nestConfig = typedConfig<GatewayConfig>('gateway');

/** The config module for the root module's imports. */
export const gatewayConfigModule = nestConfig.module;
export const GATEWAY_CONFIG = nestConfig.token;
export const InjectGatewayConfig = nestConfig.inject;
