import 'reflect-metadata';
import cluster from 'node:cluster';
import { closeOnSignals, createNestLogger } from '@tunnelgate/app-runtime';
import { ConfigError, unsupportedNodeReason } from '@tunnelgate/config';
import { createGateway } from './bootstrap';
import { GatewayPrimary, WORKER_INDEX_VARIABLE } from './cluster/gateway-primary';
import { announceUp } from './cluster/worker-channel';
import { asWorker, clusterConfigErrors } from './cluster/worker-config';
import {
  gatewayEnvVariables,
  parseGatewayConfig,
  type GatewayConfig,
} from './config/gateway.config';

const APP = 'proxy-gateway';

async function main(): Promise<void> {
  const wrongRuntime = unsupportedNodeReason(process.versions.node);
  if (wrongRuntime) throw new ConfigError(APP, [wrongRuntime]);
  if (process.argv[2] === 'env') {
    process.stdout.write(`${JSON.stringify(gatewayEnvVariables(), null, 2)}\n`);
    return;
  }
  const config = parseGatewayConfig(process.env);
  if (cluster.isWorker) return runWorker(config, Number(process.env[WORKER_INDEX_VARIABLE]));
  const logger = createNestLogger({ app: APP, level: config.logLevel });
  if (config.workers > 1) {
    const errors = clusterConfigErrors(config);
    if (errors.length > 0) throw new ConfigError(APP, errors);
    await new GatewayPrimary(config, logger).start();
    return;
  }
  const app = await createGateway(config, logger);
  closeOnSignals(app, logger);
  await app.init();
}

async function runWorker(config: GatewayConfig, index: number): Promise<void> {
  const logger = createNestLogger({ app: APP, level: config.logLevel, fields: { worker: index } });
  const app = await createGateway(asWorker(config, index), logger);
  // Only the primary decides when the node stops: a terminal's Ctrl-C reaches the whole process
  // group, and the primary forwards SIGTERM. A worker whose primary is gone drains and exits.
  process.on('SIGINT', () => undefined);
  const stop = closeOnSignals(app, logger, config.timeouts.drainMs + 5000, ['SIGTERM']);
  process.once('disconnect', () => stop('primary gone'));
  await app.init();
  announceUp();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
});
