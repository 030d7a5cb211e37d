import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createMetricsRegistry } from '@tunnelgate/app-runtime';
import { AggregatorRegistry } from 'prom-client';
import { answerPrimary } from '../cluster/worker-channel';
import { InjectGatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { createAdminServer, listenAdmin, type Readiness } from './admin-handler';
import { probeApi } from './api-probe';

const PROBE_TIMEOUT_MS = 1000;

/**
 * This process's readiness and metrics. Alone, it serves them on the ops port: /readyz is ready
 * when (in relay mode) it reaches tunnel-api and holds its snapshot, without which it can admit
 * no one. As a cluster worker it binds no port: the primary asks it over IPC and serves the
 * whole node's answer.
 */
@Injectable()
export class AdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly metrics = createMetricsRegistry('proxy-gateway');
  private readonly logger = new Logger(AdminServer.name);
  private server: Server | undefined;
  private stopAnswering: (() => void) | undefined;

  private readonly checks = new Map<string, () => string | undefined>();

  constructor(@InjectGatewayConfig() private readonly config: GatewayConfig) {}

  /** A readiness check: undefined when fine, else what is wrong. */
  addReadinessCheck(name: string, check: () => string | undefined): void {
    this.checks.set(name, check);
  }

  async readiness(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    if (this.config.mode === 'relay')
      checks['api'] = (await probeApi(this.config.apiUrl, PROBE_TIMEOUT_MS)) ?? 'ok';
    for (const [name, check] of this.checks) checks[name] = check() ?? 'ok';
    return { ready: Object.values(checks).every((value) => value === 'ok'), checks };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (cluster.isWorker) {
      // prom-client answers the primary's metrics requests from a worker only once an
      // AggregatorRegistry was made there; setRegistries alone installs no listener.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries(this.metrics);
      this.stopAnswering = answerPrimary(() => this.readiness());
      return;
    }
    this.server = createAdminServer({
      readiness: () => this.readiness(),
      metrics: async () => ({
        contentType: this.metrics.contentType,
        body: await this.metrics.metrics(),
      }),
    });
    await listenAdmin(this.server, this.config.adminListen);
    this.logger.log({ message: 'admin port listening', address: this.address() });
  }

  address(): AddressInfo {
    return this.server?.address() as AddressInfo;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopAnswering?.();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
