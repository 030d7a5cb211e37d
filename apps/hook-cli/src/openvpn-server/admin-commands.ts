import {
  ConfigError,
  describeEnv,
  unsupportedNodeReason,
  type EnvVariable,
  type Env,
} from '@tunnelgate/config';
import { hookEnvVariables } from '../config/hook.config';
import { manageEnvVariables } from '../manage/manage-config';
import {
  renderServerConfig,
  SERVER_CONFIG_DESCRIPTIONS,
  serverConfigSchema,
} from './server-config';

/** Every variable the openvpn image's containers may set: the hooks', server-config's, manage's. */
function envVariables(): EnvVariable[] {
  const byName = new Map<string, EnvVariable>();
  const variables = [
    ...hookEnvVariables(),
    ...describeEnv(serverConfigSchema, SERVER_CONFIG_DESCRIPTIONS),
    // `manage-env` lists these with what they require.
    ...manageEnvVariables().map((variable) => ({ ...variable, required: false })),
  ];
  for (const variable of variables) {
    const known = byName.get(variable.name);
    byName.set(
      variable.name,
      known ? { ...known, required: known.required || variable.required } : variable,
    );
  }
  return [...byName.values()];
}

/**
 * Commands an operator or a container entrypoint runs, as opposed to OpenVPN's hooks:
 * `env` lists the variables, `server-config` prints the OpenVPN server config for this hook.
 */
export const ADMIN_COMMANDS: Record<string, (env: Env, hookPath: string) => number> = {
  env: () => {
    process.stdout.write(`${JSON.stringify(envVariables(), null, 2)}\n`);
    return 0;
  },
  /** The variables `manage` reads (its container needs none of the server's). */
  'manage-env': () => {
    process.stdout.write(`${JSON.stringify(manageEnvVariables(), null, 2)}\n`);
    return 0;
  },
  'server-config': (env, hookPath) => {
    // The config names this very Node as the hooks' interpreter: it must be the supported one.
    const wrongRuntime = unsupportedNodeReason(process.versions.node);
    if (wrongRuntime) {
      process.stderr.write(`hook-cli: ${wrongRuntime}\n`);
      return 1;
    }
    try {
      process.stdout.write(renderServerConfig(env, hookPath));
      return 0;
    } catch (error) {
      process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
      return 1;
    }
  },
};
