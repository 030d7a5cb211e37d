import 'reflect-metadata';
import { closeOnSignals, createNestLogger } from '@tunnelgate/app-runtime';
import { ConfigError } from '@tunnelgate/config';
import { loadOrCreateApiToken } from './auth/api-token';
import { createTunnelApi } from './bootstrap';
import { parseTunnelApiConfig } from './config/tunnel-api.config';

async function main(): Promise<void> {
  const config = parseTunnelApiConfig(process.env);
  const logger = createNestLogger({ app: 'tunnel-api', level: config.logLevel });
  const { token, created } = loadOrCreateApiToken(config.tokenFile);
  if (created) logger.log({ message: 'generated the internal API token', file: config.tokenFile });
  const app = await createTunnelApi(config, logger, token);
  closeOnSignals(app, logger);
  await app.listen(config.listen.port, config.listen.host);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
});
