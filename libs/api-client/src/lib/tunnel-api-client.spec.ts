import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiRefusal, ApiUnavailable } from './api-outcome';
import { requestApi } from './http-transport';
import { TunnelApiClient } from './tunnel-api-client';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handler(req, res, body));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const account = {
  id: 'acc-1',
  username: 'alice',
  deviceId: 'dev-1',
  protocols: ['http'],
  cidrWhitelist: [],
  quotaBytes: null,
  usedBytes: 0,
  maxConnections: null,
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const client = (timeoutMs = 2000) =>
  new TunnelApiClient({ baseUrl: `${baseUrl}/`, token: 'tok', timeoutMs });

describe('TunnelApiClient', () => {
  it('sends the token, the request id and the body; parses the answer with its schema', async () => {
    let seen: { headers: IncomingMessage['headers']; url?: string; body: string } | undefined;
    handler = (req, res, body) => {
      seen = { headers: req.headers, url: req.url, body };
      json(res, 201, account);
    };
    const created = await client().createAccount({
      username: 'alice',
      password: 'long enough',
      deviceId: 'dev-1',
    });
    expect(created).toEqual(account);
    expect(seen?.url).toBe('/v1/accounts');
    expect(seen?.headers.authorization).toBe('Bearer tok');
    expect(JSON.parse(seen?.body ?? '')).toMatchObject({ username: 'alice' });
    handler = (req, res) => {
      seen = { headers: req.headers, url: req.url, body: '' };
      json(res, 200, { ok: true, accountId: 'acc-1' });
    };
    const body = { username: 'a', password: 'p', protocol: 'http', clientIp: '127.0.0.1' } as const;
    expect(await client().proxyAuth(body, 'conn-7')).toBe('acc-1');
    expect(seen?.headers['x-request-id']).toBe('conn-7');
  });

  it('escapes ids in paths and drops absent query parameters', async () => {
    const urls: string[] = [];
    handler = (req, res) => {
      urls.push(req.url ?? '');
      json(res, 200, []);
    };
    await client().listSessions({ accountId: 'a b/c' });
    await client().listSessions();
    expect(urls).toEqual(['/v1/sessions?accountId=a+b%2Fc', '/v1/sessions']);
    handler = (req, res) => {
      urls.push(req.url ?? '');
      json(res, 404, { error: { code: 'NOT_FOUND', message: 'no' } });
    };
    await expect(client().getAccount('../devices')).rejects.toBeInstanceOf(ApiRefusal);
    expect(urls.at(-1)).toBe('/v1/accounts/..%2Fdevices');
  });

  it('throws a refusal with its code and field details for a 4xx', async () => {
    handler = (_req, res) =>
      json(res, 400, {
        error: { code: 'VALIDATION_FAILED', message: 'invalid body', details: ['vpnIp: bad'] },
      });
    const refusal = await client()
      .upsertDevice('dev-1', { name: 'x', vpnIp: '1.2.3.4' })
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiRefusal);
    expect(refusal).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      details: ['vpnIp: bad'],
    });
  });

  it('throws unavailable for a 5xx, an answer that is not JSON, or one off its contract', async () => {
    handler = (_req, res) => json(res, 500, { error: { code: 'INTERNAL', message: 'boom' } });
    await expect(client().listDevices()).rejects.toBeInstanceOf(ApiUnavailable);
    handler = (_req, res) => res.end('<html>proxy error</html>');
    await expect(client().listDevices()).rejects.toThrow(/not JSON/);
    handler = (_req, res) => json(res, 200, [{ id: 'dev-1' }]);
    await expect(client().listDevices()).rejects.toThrow(/off its contract/);
  });

  it('reads a 503 readiness as an answer, and a text body as text', async () => {
    handler = (_req, res) =>
      json(res, 503, { status: 'not ready', checks: { store: 'down', firewall: 'off' } });
    expect(await client().readiness()).toMatchObject({ status: 'not ready' });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-openvpn-profile' });
      res.end('client\ndev tun\n');
    };
    expect(await client().openvpnProfile('acc-1')).toBe('client\ndev tun\n');
    handler = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    await expect(client().deleteAccount('acc-1')).resolves.toBeUndefined();
  });

  it('keeps one connection for many calls when asked to', async () => {
    handler = (_req, res) => json(res, 200, []);
    const before = connections;
    const kept = new TunnelApiClient({ baseUrl, token: 't', timeoutMs: 2000, keepAlive: true });
    for (let i = 0; i < 5; i++) await kept.listDevices();
    kept.close();
    expect(connections - before).toBe(1);
  });
});

describe('requestApi', () => {
  it('gives up at the deadline on an answer that trickles, and closes the connection', async () => {
    let closed = false;
    handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      req.socket.once('close', () => (closed = true));
    };
    const outcome = await requestApi(
      { baseUrl, token: undefined, timeoutMs: 300 },
      { method: 'GET', path: '/v1/devices' },
    );
    expect(outcome).toMatchObject({ kind: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(true);
  });

  it('refuses an answer larger than its bound', async () => {
    handler = (_req, res) => json(res, 200, 'x'.repeat(10_000));
    const outcome = await requestApi(
      { baseUrl, token: undefined, timeoutMs: 2000, maxResponseBytes: 1000 },
      { method: 'GET', path: '/' },
    );
    expect(outcome).toMatchObject({ kind: 'bad-response', message: 'answer too large' });
  });

  it('says unreachable when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const outcome = await requestApi(
      { baseUrl: `http://127.0.0.1:${port}`, token: undefined, timeoutMs: 2000 },
      { method: 'GET', path: '/' },
    );
    expect(outcome).toMatchObject({ kind: 'unreachable', message: /ECONNREFUSED/ });
  });
});
