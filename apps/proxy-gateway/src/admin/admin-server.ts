import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createMetricsRegistry } from '@tunnelgate/app-runtime';
import { API_ROUTES } from '@tunnelgate/sessions';
import { InjectGatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { probeApi } from './api-probe';

const PROBE_TIMEOUT_MS = 1000;

/**
 * The gateway's ops port: /healthz (the process answers), /readyz (in relay mode it reaches
 * tunnel-api and holds its snapshot, without which it can admit no one) and /metrics. A plain node:http server: the gateway has no
 * HTTP framework and this port sees a request every few seconds.
 */
@Injectable()
export class AdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly metrics = createMetricsRegistry('proxy-gateway');
  private readonly logger = new Logger(AdminServer.name);
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  private readonly checks = new Map<string, () => string | undefined>();

  constructor(@InjectGatewayConfig() private readonly config: GatewayConfig) {}

  /** A readiness check: undefined when fine, else what is wrong. */
  addReadinessCheck(name: string, check: () => string | undefined): void {
    this.checks.set(name, check);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { host, port } = this.config.adminListen;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.logger.log({ message: 'admin port listening', address: this.address() });
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET') return this.reply(res, 405, { error: 'only GET' });
    switch (path) {
      case API_ROUTES.healthz:
        return this.reply(res, 200, { status: 'ok' });
      case API_ROUTES.readyz: {
        const checks: Record<string, string> = {};
        if (this.config.mode === 'relay')
          checks['api'] = (await probeApi(this.config.apiUrl, PROBE_TIMEOUT_MS)) ?? 'ok';
        for (const [name, check] of this.checks) checks[name] = check() ?? 'ok';
        const ready = Object.values(checks).every((value) => value === 'ok');
        return this.reply(res, ready ? 200 : 503, {
          status: ready ? 'ready' : 'not ready',
          checks,
        });
      }
      case API_ROUTES.metrics: {
        res.writeHead(200, { 'content-type': this.metrics.contentType });
        res.end(await this.metrics.metrics());
        return;
      }
      default:
        return this.reply(res, 404, { error: 'not found' });
    }
  }

  private reply(res: ServerResponse, status: number, body: object): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
