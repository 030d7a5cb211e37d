import 'reflect-metadata';
import { closeOnSignals, createNestLogger } from '@tunnelgate/app-runtime';
import { ConfigError, unsupportedNodeReason } from '@tunnelgate/config';
import { createGateway } from './bootstrap';
import { gatewayEnvVariables, parseGatewayConfig } from './config/gateway.config';

const APP = 'proxy-gateway';

async function main(): Promise<void> {
  const wrongRuntime = unsupportedNodeReason(process.versions.node);
  if (wrongRuntime) throw new ConfigError(APP, [wrongRuntime]);
  if (process.argv[2] === 'env') {
    process.stdout.write(`${JSON.stringify(gatewayEnvVariables(), null, 2)}\n`);
    return;
  }
  const config = parseGatewayConfig(process.env);
  const logger = createNestLogger({ app: APP, level: config.logLevel });
  const app = await createGateway(config, logger);
  closeOnSignals(app, logger);
  await app.init();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
});
