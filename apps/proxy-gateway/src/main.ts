import 'reflect-metadata';
import { closeOnSignals, createNestLogger } from '@tunnelgate/app-runtime';
import { ConfigError } from '@tunnelgate/config';
import { createGateway } from './bootstrap';
import { gatewayEnvVariables, parseGatewayConfig } from './config/gateway.config';

async function main(): Promise<void> {
  if (process.argv[2] === 'env') {
    process.stdout.write(`${JSON.stringify(gatewayEnvVariables(), null, 2)}\n`);
    return;
  }
  const config = parseGatewayConfig(process.env);
  const logger = createNestLogger({ app: 'proxy-gateway', level: config.logLevel });
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
