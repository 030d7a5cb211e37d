import type { INestApplicationContext } from '@nestjs/common';
import { PassThrough } from 'node:stream';
import { createNestLogger } from '@tunnelgate/app-runtime';
import { AdminServer } from '../../../proxy-gateway/src/admin/admin-server';
import { createGateway } from '../../../proxy-gateway/src/bootstrap';
import {
  parseGatewayConfig,
  type ListenerName,
} from '../../../proxy-gateway/src/config/gateway.config';
import { GatewayService } from '../../../proxy-gateway/src/gateway.service';

/** A proxy-gateway in this process, every listener on a free loopback port unless told. */
export class GatewayInstance {
  readonly log = new PassThrough();
  private lines = '';
  app!: INestApplicationContext;

  constructor(private readonly env: Record<string, string>) {
    this.log.on('data', (chunk: Buffer) => (this.lines += chunk.toString()));
  }

  async start(): Promise<this> {
    const config = parseGatewayConfig({
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: '127.0.0.1:0',
      TUNNELGATE_GATEWAY_HTTP_LISTEN: '127.0.0.1:0',
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: '127.0.0.1:0',
      TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN: 'off',
      TUNNELGATE_GATEWAY_ACCESS_LOG: 'off',
      TUNNELGATE_LOG_LEVEL: 'debug',
      ...this.env,
    });
    this.app = await createGateway(
      config,
      createNestLogger({ app: 'proxy-gateway', level: config.logLevel, stream: this.log }),
    );
    await this.app.init();
    return this;
  }

  get service(): GatewayService {
    return this.app.get(GatewayService);
  }

  port(listener: ListenerName): number {
    const address = this.service.address(listener);
    if (!address) throw new Error(`no ${listener} listener`);
    return address.port;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.app.get(AdminServer).address().port}`;
  }

  logLines(): Record<string, unknown>[] {
    return this.lines
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.adminUrl}/metrics`)).text();
  }

  async close(): Promise<void> {
    await this.app?.close();
  }
}
