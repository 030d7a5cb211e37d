import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { PassThrough } from 'node:stream';
import { createNestLogger } from '@tunnelgate/app-runtime';
import { ConfigError } from '@tunnelgate/config';
import { AdminServer } from '../src/admin/admin-server';
import { createGateway } from '../src/bootstrap';
import { parseGatewayConfig } from '../src/config/gateway.config';

/** A real HTTP server standing in for tunnel-api's /healthz. */
function fakeApi(status: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? status : 404).end();
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('proxy-gateway config', () => {
  it('has defaults and names every bad variable', () => {
    expect(parseGatewayConfig({})).toMatchObject({
      apiUrl: 'http://127.0.0.1:8081',
      adminListen: { port: 9091 },
    });
    expect(() =>
      parseGatewayConfig({
        TUNNELGATE_API_URL: 'ftp://x',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: ':99999',
      }),
    ).toThrow(
      expect.objectContaining({
        constructor: ConfigError,
        problems: [
          expect.stringMatching(/^TUNNELGATE_API_URL: /),
          expect.stringMatching(/^TUNNELGATE_GATEWAY_ADMIN_LISTEN: /),
        ],
      }),
    );
  });
});

describe('proxy-gateway admin port', () => {
  let api: Server;
  let app: INestApplicationContext;
  let base: string;

  beforeAll(async () => {
    api = await fakeApi(200);
    const config = parseGatewayConfig({
      TUNNELGATE_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: '127.0.0.1:0',
    });
    app = await createGateway(
      config,
      createNestLogger({ app: 'proxy-gateway', level: 'warn', stream: new PassThrough() }),
    );
    await app.init();
    base = `http://127.0.0.1:${app.get(AdminServer).address().port}`;
  });
  afterAll(async () => {
    await app?.close();
    api?.close();
  });

  it('is healthy and ready while tunnel-api answers', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { api: 'ok' } });
  });

  it('serves its metrics', async () => {
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/app="proxy-gateway"/);
  });

  it('is not ready once tunnel-api is gone, and says why', async () => {
    await new Promise((r) => api.close(r));
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      checks: { api: expect.stringMatching(/^tunnel-api unreachable: /) },
    });
  });

  it('answers 404 and 405 without crashing', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});

describe('proxy-gateway process', () => {
  it('refuses a bad environment (exit 1, naming it), and stops cleanly on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const main = join(__dirname, '../../../dist/apps/proxy-gateway/main.js');
    const run = (env: Record<string, string>) => {
      const child = spawn(process.execPath, [main], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      return { child, exited, stderr: () => stderr };
    };
    const bad = run({ TUNNELGATE_GATEWAY_ADMIN_LISTEN: 'nowhere' });
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toMatch(/TUNNELGATE_GATEWAY_ADMIN_LISTEN: expected host:port/);

    const port = 20000 + Math.floor(Math.random() * 20000);
    const good = run({
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${port}`,
      TUNNELGATE_LOG_LEVEL: 'warn',
    });
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(healthy).toBe(true);
    good.child.kill('SIGTERM');
    expect(await good.exited).toBe(0);
  }, 20_000);
});
