import 'reflect-metadata';
import { closeOnSignals, createNestLogger } from '@tunnelgate/app-runtime';
import { ConfigError, unsupportedNodeReason } from '@tunnelgate/config';
import { isStoreError } from '@tunnelgate/store';
import { ExecRunner, Iptables, teardownFirewall } from '@tunnelgate/firewall-sync';
import { ensureTokenFile } from './auth/api-token';
import { PRINCIPALS } from './auth/principal';
import { TokenRing } from './auth/token-ring';
import { createTunnelApi } from './bootstrap';
import { parseTunnelApiConfig, tunnelApiEnvVariables } from './config/tunnel-api.config';

/** `main.js firewall-teardown`: what an operator runs to take a relay's rules out of a host. */
async function teardown(): Promise<void> {
  const runner = new ExecRunner();
  const removed = await teardownFirewall(await Iptables.detect(runner), runner);
  process.stdout.write(
    `${JSON.stringify({ app: 'tunnel-api', message: 'firewall removed', removed })}\n`,
  );
}

const APP = 'tunnel-api';

async function main(): Promise<void> {
  const wrongRuntime = unsupportedNodeReason(process.versions.node);
  if (wrongRuntime) throw new ConfigError(APP, [wrongRuntime]);
  if (process.argv[2] === 'firewall-teardown') return teardown();
  if (process.argv[2] === 'env') {
    process.stdout.write(`${JSON.stringify(tunnelApiEnvVariables(), null, 2)}\n`);
    return;
  }
  const config = parseTunnelApiConfig(process.env);
  const logger = createNestLogger({ app: APP, level: config.logLevel });
  const variables = {
    operator: 'TUNNELGATE_API_TOKEN_FILE',
    gateway: 'TUNNELGATE_GATEWAY_TOKEN_FILE',
    hook: 'TUNNELGATE_HOOK_TOKEN_FILE',
  } as const;
  for (const principal of PRINCIPALS) {
    const file = config.tokenFiles[principal];
    if (ensureTokenFile(file)) logger.log({ message: `generated the ${principal} token`, file });
  }
  const tokens = new TokenRing(
    PRINCIPALS.map((principal) => ({
      principal,
      path: config.tokenFiles[principal],
      variable: variables[principal],
    })),
  );
  const app = await createTunnelApi(config, logger, tokens);
  closeOnSignals(app, logger);
  await app.listen(config.listen.port, config.listen.host);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError || isStoreError(error) ? `tunnel-api: ${error.message}` : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
});
