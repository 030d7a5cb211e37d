import { freePort, waitFor } from '@tunnelgate/netns-testing';
import { ConfigError } from '@tunnelgate/config';
import { parseGatewayConfig } from '../../proxy-gateway/src/config/gateway.config';
import { GatewayInstance } from './support/gateway-instance';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

describe('proxy-gateway config', () => {
  it('has defaults and names every bad variable', () => {
    expect(parseGatewayConfig({})).toMatchObject({
      apiUrl: 'http://127.0.0.1:8081',
      adminListen: { port: 9091 },
      udpPorts: undefined,
      peekPorts: [
        { from: 80, to: 80 },
        { from: 443, to: 443 },
        { from: 8080, to: 8080 },
        { from: 8443, to: 8443 },
      ],
    });
    expect(parseGatewayConfig({ TUNNELGATE_GATEWAY_PEEK_PORTS: 'all' }).peekPorts).toBe('all');
    expect(parseGatewayConfig({ TUNNELGATE_GATEWAY_UDP_PORTS: '40000-40999' }).udpPorts).toEqual({
      from: 40000,
      to: 40999,
    });
    expect(() =>
      parseGatewayConfig({
        TUNNELGATE_API_URL: 'ftp://x',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: ':99999',
        TUNNELGATE_GATEWAY_UDP_PORTS: '5000-4000',
        TUNNELGATE_GATEWAY_PEEK_PORTS: 'web',
      }),
    ).toThrow(
      expect.objectContaining({
        constructor: ConfigError,
        problems: [
          expect.stringMatching(/^TUNNELGATE_API_URL: /),
          expect.stringMatching(/^TUNNELGATE_GATEWAY_ADMIN_LISTEN: /),
          expect.stringMatching(/^TUNNELGATE_GATEWAY_UDP_PORTS: /),
          expect.stringMatching(/^TUNNELGATE_GATEWAY_PEEK_PORTS: expected all, or ports/),
        ],
      }),
    );
  });
});

describe('proxy-gateway admin port', () => {
  const api = new TunnelApiProcess();
  let gateway: GatewayInstance;

  beforeAll(async () => {
    await api.start();
    gateway = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
      TUNNELGATE_LOG_LEVEL: 'warn',
    }).start();
  }, 30_000);
  afterAll(async () => {
    await gateway?.close();
    await api.remove();
  });

  it('is healthy and ready while tunnel-api answers and its watch is up', async () => {
    expect((await fetch(`${gateway.adminUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.adminUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { api: 'ok', upstream: 'ok' } });
  });

  it('serves its metrics', async () => {
    expect(await gateway.metrics()).toMatch(/app="proxy-gateway"/);
  });

  it('answers 404 and 405 without crashing', async () => {
    expect((await fetch(`${gateway.adminUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${gateway.adminUrl}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('is not ready once tunnel-api is gone, and says why', async () => {
    await api.stop();
    const ready = await fetch(`${gateway.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      checks: { api: expect.stringMatching(/^tunnel-api unreachable: /) },
    });
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

    const port = await freePort();
    const good = run({
      TUNNELGATE_GATEWAY_MODE: 'device',
      // Kernel-chosen ports need a single process (cluster.e2e-spec stops a cluster).
      TUNNELGATE_GATEWAY_WORKERS: '1',
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${port}`,
      TUNNELGATE_GATEWAY_HTTP_LISTEN: '127.0.0.1:0',
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: '127.0.0.1:0',
      TUNNELGATE_LOG_LEVEL: 'warn',
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 'healthz');
    good.child.kill('SIGTERM');
    expect(await good.exited).toBe(0);
  }, 20_000);
});
