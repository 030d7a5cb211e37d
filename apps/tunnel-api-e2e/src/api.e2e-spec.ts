import { get } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createNestLogger } from '@tunnelgate/app-runtime';
import { watchLineSchema } from '@tunnelgate/sessions';
import type { Principal } from '../../tunnel-api/src/auth/principal';
import { createTunnelApi, servedRoutes } from '../../tunnel-api/src/bootstrap';
import { discoverRoutes, type DocumentedRoute } from '../../tunnel-api/src/docs/openapi-builder';
import { parseTunnelApiConfig } from '../../tunnel-api/src/config/tunnel-api.config';

const TOKEN = 'api-test-token-0123456789abcdef';
const GATEWAY_TOKEN = 'api-test-gateway-token-0123456789';
const HOOK_TOKEN = 'api-test-hook-token-0123456789ab';
const PRINCIPAL_OF: Record<string, Principal> = {
  [TOKEN]: 'operator',
  [GATEWAY_TOKEN]: 'gateway',
  [HOOK_TOKEN]: 'hook',
};
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-01T11:00:00.000Z';

let dir: string;
let app: NestFastifyApplication;
let documented: DocumentedRoute[];
/** Successful answers checked against their route's documented schema, route by route. */
const conforming = new Set<string>();

/**
 * Every success this suite provokes must be what the route documents (status and body): the
 * documentation is checked against the real answers, not only against itself.
 */
function expectDocumented(method: string, url: string, status: number, body: unknown): void {
  const path = url.split('?')[0] ?? url;
  const route = documented.find(
    (r) => r.method === method && new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}$`).test(path),
  );
  if (!route) throw new Error(`${method} ${path} answered ${status} but is not documented`);
  expect({ route: `${method} ${route.path}`, status }).toEqual({
    route: `${method} ${route.path}`,
    status: route.status,
  });
  const response = route.doc.response;
  if (typeof response === 'object' && !('mediaType' in response)) {
    const parsed = response.safeParse(body);
    if (!parsed.success)
      throw new Error(
        `${method} ${route.path}: the answer is not what it documents: ${parsed.error.message}`,
      );
  }
  conforming.add(`${method} ${route.path}`);
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  token: string | null = TOKEN,
): Promise<Answer> {
  const res = await app.inject({
    method,
    url,
    ...(payload === undefined
      ? {}
      : typeof payload === 'string'
        ? { payload, headers: { 'content-type': 'application/json' } }
        : { payload: payload as object }),
    ...(token === null
      ? {}
      : {
          headers: {
            authorization: `Bearer ${token}`,
            ...(typeof payload === 'string' ? { 'content-type': 'application/json' } : {}),
          },
        }),
  });
  const answer = {
    status: res.statusCode,
    body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {},
  };
  if (answer.status < 300) expectDocumented(method, url, answer.status, answer.body);
  return answer;
}

const connect = (overrides: Record<string, unknown> = {}) => ({
  username: 'alice',
  commonName: 'alice',
  vpnIp: '10.9.0.6',
  realIp: '203.0.113.9',
  realPort: 50000,
  connectedAt: T0,
  ...overrides,
});
const disconnect = (overrides: Record<string, unknown> = {}) => ({
  username: 'alice',
  commonName: 'alice',
  vpnIp: '10.9.0.6',
  connectedAt: T0,
  bytesReceived: 100,
  bytesSent: 200,
  durationSeconds: 5,
  ...overrides,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunnel-api-v1-'));
  const config = parseTunnelApiConfig({
    TUNNELGATE_STORE: `sqlite:${join(dir, 'api.db')}`,
    TUNNELGATE_FIREWALL: 'off',
    TUNNELGATE_DEVICE_OFFLINE_AFTER_MS: '1500',
    TUNNELGATE_OPENVPN_REMOTE: 'relay1.example.net',
    TUNNELGATE_OPENVPN_CA_FILE: join(dir, 'ca.crt'),
    TUNNELGATE_OPENVPN_PROFILE_TEMPLATE: join(
      __dirname,
      '../../../deployments/openvpn/client.ovpn.template',
    ),
  });
  writeFileSync(
    join(dir, 'ca.crt'),
    '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
  );
  app = await createTunnelApi(
    config,
    createNestLogger({ app: 'tunnel-api', level: 'error', stream: new PassThrough() }),
    { principalOf: (presented) => PRINCIPAL_OF[presented] },
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  documented = discoverRoutes(
    app.get(DiscoveryService),
    app.get(MetadataScanner),
    app.get(Reflector),
  );
  expect(
    (
      await call('PUT', '/v1/devices/dev-1', {
        name: 'phone 1',
        vpnIp: '192.168.255.10',
        basePort: 20000,
      })
    ).status,
  ).toBe(200);
  expect((await call('POST', '/v1/devices/dev-1/connected')).body).toMatchObject({
    status: 'online',
  });
  const created = await call('POST', '/v1/accounts', {
    id: 'acc-alice',
    username: 'alice',
    password: 'correct horse',
    deviceId: 'dev-1',
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the /v1 API guards and validation', () => {
  it('refuses every /v1 route without the bearer token, and a wrong one', async () => {
    expect((await call('GET', '/v1/accounts', undefined, null)).status).toBe(401);
    expect((await call('GET', '/v1/accounts', undefined, 'wrong-token')).body).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' },
    });
    expect((await call('POST', '/v1/openvpn/connect', connect(), null)).status).toBe(401);
    expect((await call('GET', '/healthz', undefined, null)).status).toBe(200);
  });

  it('answers 400 naming the bad fields, and refuses unknown ones', async () => {
    const bad = await call(
      'POST',
      '/v1/openvpn/connect',
      connect({ vpnIp: '10.9.0.999', realPort: 0, extra: true }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const details = (bad.body['error'] as { details: string[] }).details;
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^vpnIp: /),
        expect.stringMatching(/^realPort: /),
        expect.stringMatching(/extra/),
      ]),
    );
  });

  it('answers 400 to a body that is not JSON at all', async () => {
    const res = await call('POST', '/v1/openvpn/auth', '{"username": "alice", "pass');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });
});

describe('accounts', () => {
  it('never shows the password hash, and pages, edits and deletes', async () => {
    const created = await call('POST', '/v1/accounts', {
      id: 'acc-bob',
      username: 'bob',
      password: 'bob-password',
      deviceId: 'dev-1',
      quotaBytes: 1000,
    });
    expect(created.body).not.toHaveProperty('passwordHash');
    expect(created.body).toMatchObject({
      protocols: ['http', 'socks5', 'openvpn'],
      quotaBytes: 1000,
      enabled: true,
    });
    expect(
      (
        await call('POST', '/v1/accounts', {
          username: 'bob',
          password: 'another-one',
          deviceId: 'dev-1',
        })
      ).status,
    ).toBe(409);
    const page = await call('GET', '/v1/accounts?limit=1');
    expect(page.body).toMatchObject({ items: [{ id: 'acc-alice' }], nextCursor: 'acc-alice' });
    expect((await call('PATCH', '/v1/accounts/acc-bob', { maxConnections: 5 })).body).toMatchObject(
      { maxConnections: 5 },
    );
    expect((await call('GET', '/v1/accounts/acc-bob/usage')).body).toEqual({
      usedBytes: 0,
      quotaBytes: 1000,
      activeSessions: 0,
    });
    expect((await call('DELETE', '/v1/accounts/acc-bob')).status).toBe(204);
    expect((await call('GET', '/v1/accounts/acc-bob')).status).toBe(404);
  });
});

describe('OpenVPN hooks', () => {
  // Heartbeats stop counting after 1.5 s here: each test starts with its device freshly seen.
  beforeEach(async () => {
    await call('POST', '/v1/devices/dev-1/heartbeat');
  });

  it('accepts the right password and gives each rejection its reason', async () => {
    expect(
      (
        await call('POST', '/v1/openvpn/auth', {
          username: 'alice',
          password: 'correct horse',
          realIp: '203.0.113.9',
        })
      ).body,
    ).toEqual({
      ok: true,
      accountId: 'acc-alice',
    });
    const wrong = await call('POST', '/v1/openvpn/auth', {
      username: 'alice',
      password: 'nope',
      realIp: '203.0.113.9',
    });
    expect(wrong).toEqual({
      status: 401,
      body: { error: { code: 'WRONG_PASSWORD', message: 'wrong username or password' } },
    });
    expect(
      (
        await call('POST', '/v1/openvpn/auth', {
          username: 'nobody',
          password: 'x',
          realIp: '203.0.113.9',
        })
      ).body,
    ).toMatchObject({
      error: { code: 'WRONG_PASSWORD' },
    });
    await call('PATCH', '/v1/accounts/acc-alice', { cidrWhitelist: ['198.51.100.0/24'] });
    expect(
      (
        await call('POST', '/v1/openvpn/auth', {
          username: 'alice',
          password: 'correct horse',
          realIp: '203.0.113.9',
        })
      ).body,
    ).toMatchObject({
      error: { code: 'SOURCE_NOT_ALLOWED' },
    });
    await call('PATCH', '/v1/accounts/acc-alice', { cidrWhitelist: [], protocols: ['http'] });
    expect(
      (
        await call('POST', '/v1/openvpn/auth', {
          username: 'alice',
          password: 'correct horse',
          realIp: '203.0.113.9',
        })
      ).status,
    ).toBe(401);
    await call('PATCH', '/v1/accounts/acc-alice', { protocols: ['openvpn'], enabled: false });
    expect(
      (
        await call('POST', '/v1/openvpn/auth', {
          username: 'alice',
          password: 'correct horse',
          realIp: '203.0.113.9',
        })
      ).body,
    ).toMatchObject({
      error: { code: 'ACCOUNT_DISABLED', message: 'account disabled' },
    });
    await call('PATCH', '/v1/accounts/acc-alice', { enabled: true });
  });

  it('connects once per identity, replaces an older session on a reused IP, and ignores its late disconnect', async () => {
    const first = await call('POST', '/v1/openvpn/connect', connect());
    expect(first).toEqual({ status: 200, body: { sessionId: expect.any(String), config: [] } });
    expect((await call('POST', '/v1/openvpn/connect', connect())).body['sessionId']).toBe(
      first.body['sessionId'],
    );

    const second = await call('POST', '/v1/openvpn/connect', connect({ connectedAt: T1 }));
    expect(second.body['sessionId']).not.toBe(first.body['sessionId']);
    expect(
      (await call('GET', `/v1/sessions/${String(first.body['sessionId'])}`)).body,
    ).toMatchObject({ state: 'closed', closeReason: 'replaced' });

    expect((await call('POST', '/v1/openvpn/disconnect', disconnect())).body).toEqual({
      closed: false,
    });
    expect(
      (await call('GET', `/v1/sessions/${String(second.body['sessionId'])}`)).body,
    ).toMatchObject({ state: 'active' });

    const closed = await call('POST', '/v1/openvpn/disconnect', disconnect({ connectedAt: T1 }));
    expect(closed.body).toMatchObject({
      closed: true,
      session: { state: 'closed', bytesIn: 100, bytesOut: 200, closeReason: 'disconnect' },
    });
    expect(
      (await call('POST', '/v1/openvpn/disconnect', disconnect({ connectedAt: T1 }))).body,
    ).toEqual({ closed: false });
  });

  it("holds OpenVPN clients to the account's connection limit (issue 18)", async () => {
    await call('PATCH', '/v1/accounts/acc-alice', { maxConnections: 1 });
    const first = connect({ vpnIp: '10.9.0.31', connectedAt: '2026-01-04T00:00:00.000Z' });
    expect((await call('POST', '/v1/openvpn/connect', first)).status).toBe(200);
    const second = await call(
      'POST',
      '/v1/openvpn/connect',
      connect({ vpnIp: '10.9.0.32', connectedAt: '2026-01-04T00:00:01.000Z' }),
    );
    expect(second.status).toBe(403);
    expect(second.body).toMatchObject({ error: { code: 'TOO_MANY_CONNECTIONS' } });
    // The same client coming back on its own address replaces itself: still one.
    expect(
      (
        await call(
          'POST',
          '/v1/openvpn/connect',
          connect({ vpnIp: '10.9.0.31', connectedAt: '2026-01-04T00:00:02.000Z' }),
        )
      ).status,
    ).toBe(200);
    await call(
      'POST',
      '/v1/openvpn/disconnect',
      disconnect({ vpnIp: '10.9.0.31', connectedAt: '2026-01-04T00:00:02.000Z' }),
    );
    expect(
      (
        await call(
          'POST',
          '/v1/openvpn/connect',
          connect({ vpnIp: '10.9.0.32', connectedAt: '2026-01-04T00:00:03.000Z' }),
        )
      ).status,
    ).toBe(200);
    await call(
      'POST',
      '/v1/openvpn/disconnect',
      disconnect({ vpnIp: '10.9.0.32', connectedAt: '2026-01-04T00:00:03.000Z' }),
    );
    // A gateway's proxy connection, on any relay, holds a slot that counts too (issue 19).
    const slots = (holder: string, wanted: number) =>
      call(
        'POST',
        '/v1/connections/slots',
        { accountId: 'acc-alice', holder, wanted, reserved: 0 },
        GATEWAY_TOKEN,
      );
    expect((await slots('gw-1', 1)).body).toEqual({ held: 1, limit: 1 });
    expect((await slots('gw-2', 1)).body).toEqual({ held: 0, limit: 1 });
    const whileHeld = await call(
      'POST',
      '/v1/openvpn/connect',
      connect({ vpnIp: '10.9.0.33', connectedAt: '2026-01-04T00:00:04.000Z' }),
    );
    expect(whileHeld.body).toMatchObject({ error: { code: 'TOO_MANY_CONNECTIONS' } });
    expect((await slots('gw-1', 0)).body).toEqual({ held: 0, limit: 1 });
    expect(
      (
        await call(
          'POST',
          '/v1/connections/slots',
          { accountId: 'acc-nobody', holder: 'gw-1', wanted: 1, reserved: 0 },
          GATEWAY_TOKEN,
        )
      ).status,
    ).toBe(404);
    for (const bad of [
      { accountId: 'acc-alice', holder: 'gw-1', wanted: -1, reserved: 0 },
      { accountId: 'acc-alice', holder: 'gw-1', wanted: 1 },
      { accountId: 'acc-alice', holder: 'gw-1', wanted: 1.5, reserved: 0 },
    ])
      expect((await call('POST', '/v1/connections/slots', bad, GATEWAY_TOKEN)).status).toBe(400);
    await call('PATCH', '/v1/accounts/acc-alice', { maxConnections: null });
  });

  it('stores nothing for a management-mode admit served after its deadline (issue 18)', async () => {
    const sessions = async () =>
      ((await call('GET', '/v1/sessions?accountId=acc-alice')).body as unknown as unknown[]).length;
    const before = await sessions();
    const late = await call(
      'POST',
      '/v1/openvpn/admit',
      {
        username: 'alice',
        password: 'correct horse',
        realIp: '203.0.113.9',
        realPort: 40000,
        subnet: '10.9.0.128/25',
        deadline: new Date(Date.now() - 1000).toISOString(),
      },
      HOOK_TOKEN,
    );
    expect(late.status).toBe(503);
    expect(late.body).toMatchObject({ error: { code: 'REQUEST_EXPIRED' } });
    expect(await sessions()).toBe(before);
  });

  it("records OpenVPN's own byte counts on the session, never in the account's usage (issue 18)", async () => {
    const usage = async () =>
      Number((await call('GET', '/v1/accounts/acc-alice/usage')).body['usedBytes']);
    const before = await usage();
    const at = { vpnIp: '10.9.0.33', connectedAt: '2026-01-06T00:00:00.000Z' };
    expect((await call('POST', '/v1/openvpn/connect', connect(at))).status).toBe(200);
    const closed = await call(
      'POST',
      '/v1/openvpn/disconnect',
      disconnect({ ...at, bytesReceived: 5_000_000, bytesSent: 7_000_000 }),
    );
    // The transparent gateway counts what it relays for the customer; OpenVPN's totals (its own
    // overhead, DNS, refused traffic included) are kept for the record only.
    expect(closed.body).toMatchObject({
      closed: true,
      session: { bytesIn: 5_000_000, bytesOut: 7_000_000 },
    });
    expect(await usage()).toBe(before);
  });

  it('answers a disconnect after a failed connect with a 200 no-op', async () => {
    expect(
      await call('POST', '/v1/openvpn/disconnect', disconnect({ vpnIp: '10.9.0.77' })),
    ).toEqual({ status: 200, body: { closed: false } });
  });

  it('refuses unknown (404), disabled (403) and device-offline (503) connects', async () => {
    expect(
      (
        await call(
          'POST',
          '/v1/openvpn/connect',
          connect({ username: 'ghost', commonName: 'ghost' }),
        )
      ).status,
    ).toBe(404);
    await call('PATCH', '/v1/accounts/acc-alice', { enabled: false });
    expect((await call('POST', '/v1/openvpn/connect', connect({ vpnIp: '10.9.0.8' }))).status).toBe(
      403,
    );
    await call('PATCH', '/v1/accounts/acc-alice', { enabled: true });
    await call('POST', '/v1/devices/dev-1/disconnected');
    const offline = await call('POST', '/v1/openvpn/connect', connect({ vpnIp: '10.9.0.8' }));
    expect(offline).toEqual({
      status: 503,
      body: {
        error: { code: 'DEVICE_OFFLINE', message: 'device dev-1 of this account is offline' },
      },
    });
    await call('POST', '/v1/devices/dev-1/connected');
  });

  it('takes a device offline when its heartbeats stop', async () => {
    await call('POST', '/v1/devices/dev-1/heartbeat');
    expect((await call('GET', '/v1/devices/dev-1')).body).toMatchObject({
      status: 'online',
      hasProxyCredentials: false,
    });
    await new Promise((r) => setTimeout(r, 2500));
    expect((await call('GET', '/v1/devices/dev-1')).body).toMatchObject({ status: 'offline' });
    expect((await call('POST', '/v1/openvpn/connect', connect({ vpnIp: '10.9.0.9' }))).status).toBe(
      503,
    );
    await call('POST', '/v1/devices/dev-1/connected');
  });

  it('kicks a session, and lists only active ones', async () => {
    const session = await call(
      'POST',
      '/v1/openvpn/connect',
      connect({ vpnIp: '10.9.0.10', connectedAt: '2026-01-02T00:00:00.000Z' }),
    );
    const id = String(session.body['sessionId']);
    expect(
      (
        (await call('GET', '/v1/sessions?accountId=acc-alice')).body as unknown as { id: string }[]
      ).map((s) => s.id),
    ).toContain(id);
    expect(
      ((await call('GET', '/v1/sessions?vpnIp=10.9.0.10')).body as unknown as { id: string }[]).map(
        (s) => s.id,
      ),
    ).toEqual([id]);
    expect((await call('GET', '/v1/sessions?vpnIp=10.9.0.11')).body).toEqual([]);
    expect((await call('POST', `/v1/sessions/${id}/kick`)).body).toMatchObject({
      state: 'closed',
      closeReason: 'kicked',
    });
    expect(
      ((await call('GET', '/v1/sessions')).body as unknown as { id: string }[]).map((s) => s.id),
    ).not.toContain(id);
  });
});

describe('OpenAPI document', () => {
  it('serves Swagger UI at /docs, with its assets', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toMatch(/swagger-ui/i);
    const assets = [
      ...page.body.matchAll(/(?:src|href)="\.?\/?([^"]*swagger-ui[^"]*\.(?:js|css))"/g),
    ];
    expect(assets.length).toBeGreaterThan(0);
    for (const [, asset] of assets) {
      const url = asset?.startsWith('/') ? asset : `/docs/${asset?.replace(/^docs\//, '')}`;
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
  });

  it('documents every route the server has, with the contract schemas', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(res.statusCode).toBe(200);
    const document = JSON.parse(res.body) as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    // Every route Fastify registered, as the server itself recorded them.
    // (The docs' own routes, which Swagger UI serves, aside.)
    const served = new Set(
      servedRoutes(app)
        .filter((r) => !/^GET \/docs/.test(r))
        .map((r) => r.replace(/:(\w+)/g, '{$1}')),
    );
    expect(served.size).toBeGreaterThan(20);
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    const connect = document.paths['/v1/openvpn/connect']?.['post'] as {
      requestBody: { content: Record<string, { schema: { required: string[] } }> };
    };
    expect(connect.requestBody.content['application/json']?.schema.required).toEqual(
      expect.arrayContaining([
        'username',
        'commonName',
        'vpnIp',
        'realIp',
        'realPort',
        'connectedAt',
      ]),
    );
  });
});

describe('OpenVPN client profile', () => {
  it('serves a profile from the template, with the CA inline and no credentials', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/accounts/acc-alice/openvpn-profile',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-openvpn-profile/);
    expect(res.body).toContain('remote relay1.example.net 1194');
    expect(res.body).toContain('proto udp');
    expect(res.body).toMatch(/^auth-user-pass$/m);
    expect(res.body).toContain(
      '<ca>\n-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n</ca>',
    );
    expect(res.body).not.toMatch(/\{\{|correct horse/);
    expect((await call('GET', '/v1/accounts/nobody/openvpn-profile')).status).toBe(404);
  });
});

describe('metrics', () => {
  it('counts connects by outcome, sessions, devices and request latency per route', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(
      /^tunnelgate_openvpn_connects_total\{outcome="admitted",app="tunnel-api"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^tunnelgate_openvpn_connects_total\{outcome="DEVICE_OFFLINE",app="tunnel-api"\} [1-9]/m,
    );
    expect(text).toMatch(/^tunnelgate_devices_online\{app="tunnel-api"\} 1$/m);
    expect(text).toMatch(/^tunnelgate_sessions_active\{app="tunnel-api"\} \d+$/m);
    expect(text).toMatch(
      /^tunnelgate_api_request_duration_seconds_count\{app="tunnel-api",route="\/v1\/accounts\/:id",method="GET",status="404"\} [1-9]/m,
    );
  });
});

describe('watch (NDJSON)', () => {
  async function openWatch(query: string, token = TOKEN) {
    if (!app.getHttpServer().listening) await app.listen(0, '127.0.0.1');
    const lines: Record<string, unknown>[] = [];
    const request = get(`${await app.getUrl()}/v1/watch${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const response = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      request.on('response', resolve),
    );
    let buffer = '';
    response.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const part of parts) lines.push(JSON.parse(part) as Record<string, unknown>);
    });
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    return { lines, response, until, close: () => request.destroy() };
  }

  it('streams a snapshot, then each change of the kinds asked for, in order', async () => {
    const watch = await openWatch('?kinds=session,account');
    expect(watch.response.statusCode).toBe(200);
    expect(watch.response.headers['content-type']).toBe('application/x-ndjson');
    await watch.until(() => watch.lines.length >= 1);
    const snapshot = watch.lines[0] as { type: string; accounts: object[]; devices?: unknown };
    expect(snapshot).toMatchObject({
      type: 'snapshot',
      revision: expect.any(Number),
      sessions: expect.any(Array),
    });
    expect(snapshot.devices).toBeUndefined();
    expect(snapshot.accounts.length).toBeGreaterThan(0);
    for (const account of snapshot.accounts) expect(account).not.toHaveProperty('passwordHash');

    await call('POST', '/v1/devices/dev-1/heartbeat');
    const connected = await call(
      'POST',
      '/v1/openvpn/connect',
      connect({ vpnIp: '10.9.0.20', connectedAt: '2026-01-03T00:00:00.000Z' }),
    );
    const id = String(connected.body['sessionId']);
    await call('POST', `/v1/sessions/${id}/kick`);
    await call('PATCH', '/v1/accounts/acc-alice', { maxConnections: 7 });
    const mine = () =>
      watch.lines.filter(
        (l) =>
          l['type'] === 'change' &&
          ((l['value'] as { id: string }).id === id || l['kind'] === 'account'),
      );
    await watch.until(() => mine().length >= 3);
    watch.close();
    expect(mine().map((l) => [l['kind'], l['op']])).toEqual([
      ['session', 'created'],
      ['session', 'updated'],
      ['account', 'updated'],
    ]);
    expect(mine()[2]?.['value']).toMatchObject({ id: 'acc-alice', maxConnections: 7 });
    expect(mine()[2]?.['value']).not.toHaveProperty('passwordHash');
    const revisions = mine().map((l) => Number(l['revision']));
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(revisions[0]).toBeGreaterThan(Number(watch.lines[0]?.['revision']));
    expect(watch.lines.some((l) => l['kind'] === 'device')).toBe(false);
    // What the gateway reads: every line matches the shared contract.
    expect(watch.lines.filter((l) => !watchLineSchema.safeParse(l).success)).toEqual([]);
    await call('PATCH', '/v1/accounts/acc-alice', { maxConnections: null });
  });

  it('shows a device going online and offline, and none of the heartbeats in between (issue 21)', async () => {
    const watch = await openWatch('?kinds=device');
    await watch.until(() => watch.lines.length >= 1);
    await call('PUT', '/v1/devices/dev-hb', { name: 'heartbeats', vpnIp: '192.168.255.78' });
    await call('POST', '/v1/devices/dev-hb/heartbeat');
    const online = (await call('GET', '/v1/devices/dev-hb')).body;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await call('POST', '/v1/devices/dev-hb/heartbeat');
    }
    const seen = (await call('GET', '/v1/devices/dev-hb')).body;
    expect(seen['status']).toBe('online');
    expect(Date.parse(String(seen['lastSeenAt']))).toBeGreaterThan(
      Date.parse(String(online['lastSeenAt'])),
    );
    await call('POST', '/v1/devices/dev-hb/disconnected');
    const mine = () =>
      watch.lines.filter(
        (l) => l['type'] === 'change' && (l['value'] as { id: string }).id === 'dev-hb',
      );
    await watch.until(() => mine().length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    watch.close();
    expect(mine().map((l) => [l['op'], (l['value'] as { status: string }).status])).toEqual([
      ['created', 'offline'],
      ['updated', 'online'],
      ['updated', 'offline'],
    ]);
    expect((await call('POST', '/v1/devices/ghost/heartbeat')).status).toBe(404);
    await call('DELETE', '/v1/devices/dev-hb');
  });

  it("carries the phones' proxy credentials to gateways only (issue 25)", async () => {
    const put = await call('PUT', '/v1/devices/dev-creds', {
      name: 'phone with a password',
      vpnIp: '192.168.255.77',
      proxyCredentials: { username: 'relay', password: 'phone-proxy-secret' },
    });
    expect(JSON.stringify(put.body)).not.toContain('phone-proxy-secret');
    const byGateway = await openWatch('?kinds=device', GATEWAY_TOKEN);
    const byOperator = await openWatch('?kinds=device', TOKEN);
    await byGateway.until(() => byGateway.lines.length >= 1);
    await byOperator.until(() => byOperator.lines.length >= 1);
    await call('POST', '/v1/devices/dev-creds/heartbeat');
    await byGateway.until(() => byGateway.lines.length >= 2);
    await byOperator.until(() => byOperator.lines.length >= 2);
    byGateway.close();
    byOperator.close();
    const device = (lines: Record<string, unknown>[]) =>
      (lines[0]?.['devices'] as { id: string }[]).find((d) => d.id === 'dev-creds');
    expect(device(byGateway.lines)).toMatchObject({
      proxyCredentials: { username: 'relay', password: 'phone-proxy-secret' },
    });
    expect(JSON.stringify(byGateway.lines[1])).toContain('phone-proxy-secret');
    expect(device(byOperator.lines)).toMatchObject({ hasProxyCredentials: true });
    expect(JSON.stringify(byOperator.lines)).not.toContain('phone-proxy-secret');
    for (const lines of [byGateway.lines, byOperator.lines])
      expect(lines.filter((l) => !watchLineSchema.safeParse(l).success)).toEqual([]);
    await call('DELETE', '/v1/devices/dev-creds');
  });

  it('refuses a watch without the token, and unknown kinds', async () => {
    expect((await call('GET', '/v1/watch', undefined, null)).status).toBe(401);
    expect((await call('GET', '/v1/watch?kinds=session,planets')).status).toBe(400);
  });
});

describe('scoped tokens (issue 25)', () => {
  const refusedTo = async (token: string, routes: [string, string, unknown?][]) => {
    const statuses = [];
    for (const [method, url, payload] of routes)
      statuses.push((await call(method as 'GET', url, payload, token)).status);
    return statuses;
  };
  const operatorRoutes: [string, string, unknown?][] = [
    ['GET', '/v1/accounts'],
    ['POST', '/v1/accounts', { username: 'mallory', password: 'a password!', deviceId: 'dev-1' }],
    ['PUT', '/v1/accounts/acc-alice/password', { password: 'hijacked password' }],
    ['PATCH', '/v1/accounts/acc-alice', { enabled: false }],
    ['GET', '/v1/devices'],
    ['PUT', '/v1/devices/dev-x', { name: 'x', vpnIp: '192.168.255.99' }],
    ['POST', '/v1/sessions/ses-x/kick'],
  ];

  it("grants the hooks' token OpenVPN's routes and the active sessions only", async () => {
    const auth = await call(
      'POST',
      '/v1/openvpn/auth',
      { username: 'alice', password: 'correct horse', realIp: '203.0.113.9' },
      HOOK_TOKEN,
    );
    expect(auth.status).toBe(200);
    const others: [string, string, unknown?][] = [
      ...operatorRoutes,
      ['GET', '/v1/watch'],
      [
        'POST',
        '/v1/proxy/auth',
        { username: 'alice', password: 'x', protocol: 'http', clientIp: '203.0.113.9' },
      ],
      [
        'POST',
        '/v1/usage',
        { id: 'r-hook', reporter: 'gw', entries: [{ accountId: 'acc-alice', bytes: 1 }] },
      ],
      ['GET', '/v1/sessions/ses-x'],
    ];
    expect(await refusedTo(HOOK_TOKEN, others)).toEqual(others.map(() => 403));
    // The manager's reconcile reads the active sessions.
    expect((await call('GET', '/v1/sessions', undefined, HOOK_TOKEN)).status).toBe(200);
  });

  it("grants the gateways' token the watch, password checks, usage and session lookups only", async () => {
    const auth = await call(
      'POST',
      '/v1/proxy/auth',
      { username: 'alice', password: 'correct horse', protocol: 'http', clientIp: '203.0.113.9' },
      GATEWAY_TOKEN,
    );
    // Checked (alice has no HTTP proxy), not refused as a route the token does not grant.
    expect(auth.body).toMatchObject({ error: { code: 'PROTOCOL_NOT_ALLOWED' } });
    expect(
      (await call('GET', '/v1/sessions?vpnIp=10.9.0.99', undefined, GATEWAY_TOKEN)).status,
    ).toBe(200);
    const others: [string, string, unknown?][] = [
      ...operatorRoutes,
      ['POST', '/v1/openvpn/connect', connect()],
      ['POST', '/v1/openvpn/disconnect', disconnect()],
    ];
    expect(await refusedTo(GATEWAY_TOKEN, others)).toEqual(others.map(() => 403));
    expect((await call('GET', '/v1/accounts', undefined, 'not-a-token-at-all-012345')).status).toBe(
      401,
    );
  });
});

describe('gateway endpoints', () => {
  const auth = (overrides: Record<string, unknown> = {}) =>
    call('POST', '/v1/proxy/auth', {
      username: 'alice',
      password: 'correct horse',
      protocol: 'http',
      clientIp: '203.0.113.9',
      ...overrides,
    });

  it("checks a proxy customer's password for the protocol it uses", async () => {
    await call('PATCH', '/v1/accounts/acc-alice', { protocols: ['http'] });
    expect((await auth()).body).toEqual({ ok: true, accountId: 'acc-alice' });
    expect((await auth({ password: 'nope' })).body).toMatchObject({
      error: { code: 'WRONG_PASSWORD' },
    });
    expect((await auth({ protocol: 'socks5' })).body).toMatchObject({
      error: {
        code: 'PROTOCOL_NOT_ALLOWED',
        message: 'the SOCKS5 proxy is not enabled for this account',
      },
    });
    await call('PATCH', '/v1/accounts/acc-alice', { protocols: ['openvpn', 'http', 'socks5'] });
    expect((await auth({ protocol: 'openvpn' })).status).toBe(400);
  });

  it('adds a report once however often it is retried, answers the totals, and adds nothing for unknown accounts', async () => {
    const before = (await call('GET', '/v1/accounts/acc-alice/usage')).body['usedBytes'] as number;
    const body = {
      id: 'report-0001',
      reporter: 'gw-test',
      entries: [
        { accountId: 'acc-alice', bytes: 1000 },
        { accountId: 'acc-gone', bytes: 5 },
        { accountId: 'acc-alice', bytes: 24 },
      ],
    };
    const first = await call('POST', '/v1/usage', body);
    expect(first.body).toEqual({
      duplicate: false,
      unknownAccounts: ['acc-gone'],
      accounts: [{ accountId: 'acc-alice', usedBytes: before + 1024, quotaBytes: null }],
    });
    // The gateway never heard that answer (a timeout) and sends the same report again.
    const retry = await call('POST', '/v1/usage', body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ...first.body, duplicate: true });
    expect((await call('GET', '/v1/accounts/acc-alice/usage')).body['usedBytes']).toBe(
      before + 1024,
    );
    for (const bad of [
      { reporter: body.reporter, entries: body.entries },
      { ...body, id: 'report-0002', entries: [] },
      { ...body, id: 'report-0003', entries: [{ accountId: 'acc-alice', bytes: -1 }] },
      { ...body, id: 'report 0004' },
    ])
      expect((await call('POST', '/v1/usage', bad)).status).toBe(400);
    expect((await call('GET', '/v1/accounts/acc-alice/usage')).body['usedBytes']).toBe(
      before + 1024,
    );
  });

  it("leases an account's bytes to gateways from what its quota leaves, and takes reports out of the lease", async () => {
    const created = await call('POST', '/v1/accounts', {
      id: 'acc-leased',
      username: 'leased',
      password: 'leased-password',
      deviceId: 'dev-1',
      quotaBytes: 10_000,
    });
    expect(created.status).toBe(201);
    const lease = (holder: string, bytes: number) =>
      call('POST', '/v1/usage/leases', { accountId: 'acc-leased', holder, bytes }, GATEWAY_TOKEN);
    expect((await lease('gw-a', 8000)).body).toMatchObject({
      remaining: 8000,
      granted: 8000,
      unlimited: false,
    });
    expect((await lease('gw-b', 8000)).body).toMatchObject({ remaining: 2000, granted: 2000 });
    const report = {
      id: 'report-lease-1',
      reporter: 'gw-a',
      entries: [{ accountId: 'acc-leased', bytes: 5000 }],
    };
    expect((await call('POST', '/v1/usage', report, GATEWAY_TOKEN)).status).toBe(200);
    expect((await lease('gw-c', 1)).body).toMatchObject({ granted: 0 });
    const released = await call(
      'POST',
      '/v1/usage/leases/release',
      { accountId: 'acc-leased', holder: 'gw-b' },
      GATEWAY_TOKEN,
    );
    expect(released).toMatchObject({ status: 200, body: { released: true } });
    expect((await lease('gw-c', 5000)).body).toMatchObject({ granted: 2000 });
    expect((await lease('gw-a', 0)).body).toMatchObject({ remaining: 3000, granted: 0 });

    expect(
      (
        await call(
          'POST',
          '/v1/usage/leases',
          { accountId: 'acc-nobody', holder: 'gw-a', bytes: 1 },
          GATEWAY_TOKEN,
        )
      ).status,
    ).toBe(404);
    for (const bad of [
      { accountId: 'acc-leased', holder: 'gw-a', bytes: -1 },
      { accountId: 'acc-leased', holder: 'gw-a', bytes: 2 ** 30 + 1 },
      { accountId: 'acc-leased', holder: 'gw-a', bytes: 1.5 },
      { accountId: 'acc-leased', bytes: 10 },
      { accountId: 'acc-leased', holder: 'gw a', bytes: 10 },
    ])
      expect((await call('POST', '/v1/usage/leases', bad, GATEWAY_TOKEN)).status).toBe(400);
    // Only gateways (and operators) lease bytes.
    expect((await lease('gw-a', 0)).status).toBe(200);
    expect(
      (
        await call(
          'POST',
          '/v1/usage/leases',
          { accountId: 'acc-leased', holder: 'h', bytes: 1 },
          HOOK_TOKEN,
        )
      ).status,
    ).toBe(403);
  });
});

describe('documented responses', () => {
  it('documents a success status and body, and the error body, for every route', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    const document = JSON.parse(res.body) as {
      paths: Record<string, Record<string, { responses: Record<string, ResponseDoc> }>>;
    };
    interface ResponseDoc {
      description: string;
      content?: Record<string, { schema: object }>;
    }
    const undocumented: string[] = [];
    for (const [path, methods] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(methods)) {
        const successes = Object.entries(operation.responses).filter(([s]) => /^2\d\d$/.test(s));
        const described = successes.every(
          ([status, doc]) => status === '204' || Object.keys(doc.content ?? {}).length > 0,
        );
        const errorsHaveBody =
          !path.startsWith('/v1') ||
          Object.entries(operation.responses)
            .filter(([s]) => /^[45]\d\d$/.test(s))
            .every(([, doc]) => doc.content?.['application/json'] !== undefined);
        if (successes.length !== 1 || !described || !errorsHaveBody)
          undocumented.push(`${method.toUpperCase()} ${path}`);
      }
    expect(Object.keys(document.paths).length).toBeGreaterThan(20);
    expect(undocumented).toEqual([]);
  });

  // Runs last: the answers of the whole file were checked against their routes' schemas as they came.
  it("met every JSON route's documented schema in this file's real answers", async () => {
    // The routes the tests above had no reason to call, called here to check their answers too.
    expect((await call('GET', '/readyz', undefined, null)).status).toBe(200);
    await call('GET', '/healthz', undefined, null);
    expect((await call('GET', '/v1/devices')).status).toBe(200);
    expect((await call('GET', '/v1/accounts/acc-alice')).status).toBe(200);
    const password = { password: 'correct horse' };
    expect((await call('PUT', '/v1/accounts/acc-alice/password', password)).status).toBe(200);
    expect((await call('POST', '/v1/accounts/acc-alice/usage/reset')).status).toBe(200);
    const admitted = await call(
      'POST',
      '/v1/openvpn/admit',
      {
        username: 'alice',
        ...password,
        realIp: '203.0.113.7',
        realPort: 4000,
        subnet: '10.9.0.0/24',
      },
      HOOK_TOKEN,
    );
    expect(admitted.status).toBe(200);
    const jsonRoutes = documented
      .filter((r) => typeof r.doc.response === 'object' && !('mediaType' in r.doc.response))
      .map((r) => `${r.method} ${r.path}`);
    const unchecked = jsonRoutes.filter((route) => !conforming.has(route));
    expect(unchecked).toEqual([]);
  });
});
