import { Inject } from '@nestjs/common';
import { getConfigToken, registerAs } from '@nestjs/config';
import { enumField, hostPortField, logLevelField, parseEnv, type Env } from '@tunnelgate/config';
import * as z from 'zod/mini';

export const FIREWALL_MODES = ['auto', 'iptables', 'off'] as const;

const schema = z.pipe(
  z.object({
    TUNNELGATE_API_LISTEN: hostPortField('127.0.0.1:8081'),
    TUNNELGATE_STORE: z._default(
      z
        .string()
        .check(
          z.regex(/^(sqlite:.+|rediss?:\/\/.+)$/, 'expected sqlite:<path> or redis://host:port/db'),
        ),
      'sqlite:./data/tunnelgate.db',
    ),
    TUNNELGATE_FIREWALL: enumField(FIREWALL_MODES, 'auto'),
    TUNNELGATE_LOG_LEVEL: logLevelField(),
  }),
  z.transform((env) => ({
    listen: env.TUNNELGATE_API_LISTEN,
    storeUrl: env.TUNNELGATE_STORE,
    firewall: env.TUNNELGATE_FIREWALL,
    logLevel: env.TUNNELGATE_LOG_LEVEL,
  })),
);

export type TunnelApiConfig = z.output<typeof schema>;

/** Parses tunnel-api's environment; throws a ConfigError naming every bad variable. */
export function parseTunnelApiConfig(env: Env): TunnelApiConfig {
  return parseEnv('tunnel-api', schema, env);
}

const NAMESPACE = 'tunnelApi';

/** The parsed config as a @nestjs/config namespace, for `ConfigModule.forRoot({ load })`. */
export function tunnelApiConfigNamespace(config: TunnelApiConfig) {
  return registerAs(NAMESPACE, () => config);
}

/** The provider token of the typed, frozen config object. */
export const TUNNEL_API_CONFIG = getConfigToken(NAMESPACE);
export const InjectTunnelApiConfig = () => Inject(TUNNEL_API_CONFIG);
