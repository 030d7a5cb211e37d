import { freePort, waitFor } from '@tunnelgate/netns-testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curl } from './support/curl';
import { GatewayInstance } from './support/gateway-instance';
import {
  answerStatus,
  closed,
  connected,
  connectRequest,
  connectTunnel,
  domainAddress,
  ipv4Address,
  ipv6Address,
  readBytes,
  socks5Connect,
  socks5Request,
} from './support/raw-clients';
import { Socks5UdpClient, udpEcho } from './support/socks5-udp-client';
import { registerSimulatedPhone, simulatedPhone } from './support/simulated-phone';
import { Targets } from './support/targets';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

// The lab: origin servers on 127.0.0.1; a device (a gateway in device mode) on 127.0.0.2; the
// relay's tunnel-api (a real process) and gateway; tinyproxy on 127.0.0.3 as a foreign phone.
jest.setTimeout(30_000);

const api = new TunnelApiProcess();
const targets = new Targets();
const device = simulatedPhone();
let relay: GatewayInstance;
let tinyproxy: ChildProcess | undefined;
const PASSWORD = 'correct horse battery';
/** The relay's association ports: a few, so the test can use them all up. */
const UDP_PORTS = { from: 47_100, to: 47_107 };

const httpProxy = (user = 'alice', password = PASSWORD) =>
  `http://${user}:${encodeURIComponent(password)}@127.0.0.1:${relay.port('http')}`;
const plainUrl = (path: string) => `http://127.0.0.1:${targets.httpPort}${path}`;
const secureUrl = (path: string) => `https://localhost:${targets.httpsPort}${path}`;

async function account(id: string, fields: Record<string, unknown> = {}): Promise<void> {
  await api.call('DELETE', `/v1/accounts/${id}`);
  const created = await api.call('POST', '/v1/accounts', {
    id,
    username: id,
    password: PASSWORD,
    deviceId: 'dev-sim',
    protocols: ['http', 'socks5'],
    ...fields,
  });
  expect(created.status).toBe(201);
  await waitFor(
    async () => relay.service.gate !== undefined && (await accountKnown(id)),
    `account ${id} at the gateway`,
  );
}

/** The relay gateway has the account from its watch (it answers a login for it). */
async function accountKnown(id: string): Promise<boolean> {
  const gate = relay.service.gate as unknown as { directory: { account(id: string): unknown } };
  return gate.directory.account(id) !== undefined;
}

beforeAll(async () => {
  await targets.start();
  await api.start();
  await device.start();
  await registerSimulatedPhone(api, device);
  relay = await new GatewayInstance({
    TUNNELGATE_API_URL: api.url,
    TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
    TUNNELGATE_GATEWAY_USAGE_FLUSH_MS: '200',
    TUNNELGATE_GATEWAY_UDP_PORTS: `${UDP_PORTS.from}-${UDP_PORTS.to}`,
  }).start();
  await account('alice');
}, 30_000);

afterAll(async () => {
  tinyproxy?.kill();
  await relay?.close();
  await device.close();
  await api.remove();
  await targets.close();
});

beforeEach(async () => {
  await api.call('POST', '/v1/devices/dev-sim/heartbeat');
});

describe('HTTP proxy', () => {
  it('tunnels CONNECT and forwards plain GETs through the device, with Basic auth', async () => {
    const secure = await curl(['-k', '-x', httpProxy(), secureUrl('/secure')]);
    expect(secure).toMatchObject({
      code: 0,
      status: 200,
      connectStatus: 200,
      body: 'hello from /secure',
    });
    const plain = await curl([
      '-x',
      httpProxy(),
      '-H',
      'Connection: X-Drop-Me',
      '-H',
      'X-Drop-Me: 1',
      plainUrl('/plain?q=1'),
    ]);
    expect(plain).toMatchObject({ code: 0, status: 200, body: 'hello from /plain?q=1' });
    const seen = targets.seen.find((r) => r.path === '/plain?q=1');
    expect(seen?.headers).not.toHaveProperty('proxy-authorization');
    expect(seen?.headers).not.toHaveProperty('proxy-connection');
    expect(seen?.headers).not.toHaveProperty('x-drop-me');
    // It left through the device: the device gateway accepted those connections.
    expect(await device.metrics()).toMatch(
      /tunnelgate_gateway_connections_total\{[^}]*listener="http"[^}]*outcome="tunnel"[^}]*\} [1-9]/,
    );
  });

  it('answers 407 with Proxy-Authenticate to a wrong or missing password', async () => {
    expect(await curl(['-x', httpProxy('alice', 'wrong'), plainUrl('/')])).toMatchObject({
      status: 407,
    });
    expect(
      await curl(['-x', `http://127.0.0.1:${relay.port('http')}`, plainUrl('/')]),
    ).toMatchObject({ status: 407 });
    expect(await curl(['-k', '-x', httpProxy('nobody'), secureUrl('/')])).toMatchObject({
      connectStatus: 407,
    });
    const head = await connectTunnel(relay.port('http'), `127.0.0.1:${targets.httpPort}`);
    expect(head.status).toBe('HTTP/1.1 407 Proxy Authentication Required');
    // A refused client keeps no connection, kept-alive request or not.
    expect(await closed(head.socket, 10_000)).toBe(true);
    const refused = await rawClient();
    await refused.send(
      `GET ${plainUrl('/')} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`,
    );
    expect(await closed(refused.socket, 10_000)).toBe(true);
    expect(refused.received()).toMatch(/^HTTP\/1\.1 407 /);
  });

  it('answers 502 when the destination refuses, and 400 to a request that is not for a proxy', async () => {
    const closedPort = await freePort();
    expect(await curl(['-x', httpProxy(), `http://127.0.0.1:${closedPort}/`])).toMatchObject({
      status: 502,
    });
    expect(
      (await connectTunnel(relay.port('http'), `127.0.0.1:${closedPort}`, `alice:${PASSWORD}`))
        .status,
    ).toMatch(/^HTTP\/1\.1 502/);
    expect(
      await curl([`http://127.0.0.1:${relay.port('http')}/not-a-proxy-request`]),
    ).toMatchObject({ status: 400 });
  });

  it('checks a changed password again instead of trusting its cache', async () => {
    expect(await curl(['-x', httpProxy(), plainUrl('/')])).toMatchObject({ status: 200 });
    await api.call('PUT', '/v1/accounts/alice/password', { password: 'a whole new password' });
    await waitFor(
      async () => (await curl(['-x', httpProxy(), plainUrl('/')])).status === 407,
      'old password refused',
    );
    expect(
      await curl(['-x', httpProxy('alice', 'a whole new password'), plainUrl('/')]),
    ).toMatchObject({ status: 200 });
    await api.call('PUT', '/v1/accounts/alice/password', { password: PASSWORD });
  });

  it('does not reuse a pooled device tunnel the origin has closed', async () => {
    // An origin that closes idle kept-alive connections after 200 ms: the relay's pooled tunnel
    // through the device sees the close as an end, and must not serve the next GET with it.
    const origin = createHttpServer((req, res) => res.end(`fresh ${req.url}`));
    origin.keepAliveTimeout = 200;
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    try {
      for (const path of ['/one', '/two', '/three']) {
        expect(await curl(['-x', httpProxy(), `${url}${path}`])).toMatchObject({
          status: 200,
          body: `fresh ${path}`,
        });
        await new Promise((resolve) => setTimeout(resolve, 600));
      }
    } finally {
      origin.close();
    }
  });

  it('leaves no listener behind per request on a kept-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const authorization = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
    const get = () =>
      new Promise<number>((resolve, reject) =>
        request(
          {
            host: '127.0.0.1',
            port: relay.port('http'),
            path: plainUrl('/kept-alive'),
            headers: { 'proxy-authorization': authorization },
            agent,
          },
          (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)),
        )
          .on('error', reject)
          .end(),
      );
    // The listeners on the gateway's side of the one connection, by event.
    const listeners = () => {
      const tunnels = [...relay.service.registry.all()].filter((t) => t.listener === 'http');
      expect(tunnels).toHaveLength(1);
      const client = tunnels[0]?.client;
      return Object.fromEntries(
        client?.eventNames().map((e) => [e, client.listenerCount(e)]) ?? [],
      );
    };
    try {
      for (let i = 0; i < 3; i++) expect(await get()).toBe(200);
      const early = listeners();
      for (let i = 0; i < 20; i++) expect(await get()).toBe(200);
      expect(listeners()).toEqual(early);
    } finally {
      agent.destroy();
    }
  });

  /** A raw client conversation: writes pieces 5 ms apart (separate segments on loopback),
   * waits for text in what came back. */
  async function rawClient() {
    const socket = await connected(relay.port('http'));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    return {
      socket,
      received: () => received,
      async send(...pieces: string[]) {
        for (const piece of pieces) {
          socket.write(piece);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
      until: (text: string) =>
        waitFor(async () => received.includes(text), `"${text}" from the proxy`),
    };
  }
  const auth = () =>
    `Proxy-Authorization: Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}\r\n`;

  it('reads a CONNECT head in pieces and relays the bytes sent right behind it', async () => {
    const client = await rawClient();
    const message =
      `CONNECT 127.0.0.1:${targets.httpPort} HTTP/1.1\r\nHost: x\r\n${auth()}\r\n` +
      'GET /right-behind HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    // Cut so that the tunnel's first bytes share a segment with the end of the head.
    const cut = message.indexOf('\r\n\r\n') - 3;
    await client.send(...message.slice(0, cut).match(/[^]{1,9}/g)!, message.slice(cut));
    expect(await closed(client.socket, 10_000)).toBe(true);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\n/);
    expect(client.received()).toMatch(/hello from \/right-behind\r\n0\r\n\r\n$/);
  });

  it('refuses a malformed or oversized CONNECT head with 400 or 431 and closes', async () => {
    for (const [head, status] of [
      ['CONNECT 127.0.0.1:1 HTTP/1.1\r\nNo colon here\r\n\r\n', 400],
      ['CONNECT 127.0.0.1:1 HTTP/1.1\r\nX-Ok: 1\r\n folded: line\r\n\r\n', 400],
      ['CONNECT  HTTP/1.1\r\n\r\n', 400],
      ['CONNECT 127.0.0.1:1 HTTP/1.1\nHost: bare-lf\n\n\r\n\r\n', 400],
      [`CONNECT 127.0.0.1:1 HTTP/1.1\r\nX-Big: ${'a'.repeat(17_000)}`, 431],
    ] as const) {
      const client = await rawClient();
      await client.send(head);
      expect(await closed(client.socket, 10_000)).toBe(true);
      expect(client.received()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    }
  });

  it('serves GETs whose head comes in pieces, then a CONNECT on the same kept-alive connection', async () => {
    const client = await rawClient();
    await client.send('G', 'ET ', `${plainUrl('/first')} HTTP/1.1\r\nHost: x\r\n`, `${auth()}\r\n`);
    await client.until('hello from /first');
    await client.send(`GET ${plainUrl('/second')} HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
    await client.until('hello from /second');
    await client.send(
      `CONNECT 127.0.0.1:${targets.httpPort} HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`,
      'GET /third HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(await closed(client.socket, 10_000)).toBe(true);
    expect(client.received()).toMatch(
      /hello from \/second.*HTTP\/1\.1 200 Connection Established\r\n\r\n.*hello from \/third\r\n0\r\n\r\n$/s,
    );
  });
});

describe('timeouts', () => {
  it('closes a silent handshake, keeps a busy tunnel past the idle timeout, then ends it idle', async () => {
    const phone = await new GatewayInstance({
      TUNNELGATE_GATEWAY_MODE: 'device',
      TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
      TUNNELGATE_GATEWAY_HANDSHAKE_TIMEOUT_MS: '300',
      TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS: '1000',
    }).start();
    const echoServer = createServer((socket) => socket.on('error', () => undefined).pipe(socket));
    await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
    const echoPort = (echoServer.address() as AddressInfo).port;
    try {
      const silent = await connected(phone.port('http'));
      expect(await closed(silent, 3000)).toBe(true);
      // The deadline holds for clients that are never silent: one byte every 100 ms, of a head
      // that would take 10 s, closed long before.
      // The same for a kept-alive connection's second request head.
      const firstGet = `GET ${plainUrl('/first')} HTTP/1.1\r\nHost: x\r\n\r\n`;
      for (const [listener, handshake, before] of [
        ['http', `CONNECT 127.0.0.1:1 HTTP/1.1\r\nX-Slow: ${'a'.repeat(100)}\r\n\r\n`, ''],
        ['http', `GET ${plainUrl('/')} HTTP/1.1\r\nX-Slow: ${'a'.repeat(100)}\r\n\r\n`, ''],
        ['http', `GET ${plainUrl('/')} HTTP/1.1\r\nX-Slow: ${'a'.repeat(100)}\r\n\r\n`, firstGet],
        ['socks5', Buffer.from([5, 100, ...Array<number>(100).fill(0x80)]).toString('latin1'), ''],
      ] as const) {
        const dripping = await connected(phone.port(listener));
        dripping.on('error', () => undefined);
        if (before) {
          dripping.write(before);
          expect((await readBytes(dripping, 12)).subarray(0, 12).toString()).toBe('HTTP/1.1 200');
        }
        let sent = 0;
        for (const byte of Buffer.from(handshake, 'latin1')) {
          if (dripping.destroyed || !dripping.writable) break;
          dripping.write(Buffer.from([byte]));
          sent++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(await closed(dripping, 1000)).toBe(true);
        expect(sent).toBeLessThan(handshake.length / 2);
      }

      const { socket, status } = await connectTunnel(phone.port('http'), `127.0.0.1:${echoPort}`);
      expect(status).toContain('200');
      // Over twice the idle timeout, with traffic every 300 ms: still open.
      for (let i = 0; i < 7; i++) {
        socket.write(`ping ${i}`);
        expect((await readBytes(socket, `ping ${i}`.length)).toString()).toBe(`ping ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(socket.destroyed).toBe(false);
      expect(await closed(socket, 5000)).toBe(true);

      // A kept-alive connection outlives the handshake deadline between requests, then idles out.
      const keptAlive = await connected(phone.port('http'));
      const get = `GET ${plainUrl('/timeouts')} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
      let answers = '';
      keptAlive.on('data', (chunk: Buffer) => (answers += chunk.toString('latin1')));
      keptAlive.write(get);
      await new Promise((resolve) => setTimeout(resolve, 700));
      keptAlive.write(get);
      expect(await closed(keptAlive, 5000)).toBe(true);
      expect(answers.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    } finally {
      echoServer.close();
      await phone.close();
    }
  });
});

describe('SOCKS5 proxy', () => {
  it('connects by domain with username/password, and refuses a wrong one', async () => {
    const ok = await curl([
      '-k',
      '--socks5-hostname',
      `127.0.0.1:${relay.port('socks5')}`,
      '--proxy-user',
      `alice:${PASSWORD}`,
      secureUrl('/socks'),
    ]);
    expect(ok).toMatchObject({ code: 0, status: 200, body: 'hello from /socks' });
    const wrong = await curl([
      '--socks5-hostname',
      `127.0.0.1:${relay.port('socks5')}`,
      '--proxy-user',
      'alice:wrong',
      plainUrl('/'),
    ]);
    expect(wrong.code).toBe(97);
    const none = await socks5Connect(
      relay.port('socks5'),
      ipv4Address('127.0.0.1'),
      targets.httpPort,
    );
    expect(none.method).toBe(0xff);
  });

  it('answers HTTP CONNECT at once when told to, sends the first bytes with the request, and resets on a refusal (issue 22)', async () => {
    const early = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
      TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN: 'off',
      TUNNELGATE_GATEWAY_CONNECT_ANSWER: 'early',
    }).start();
    try {
      await waitFor(
        async () =>
          (
            await curl([
              '-k',
              '-x',
              httpProxy().replace(/:\d+$/, `:${early.port('http')}`),
              secureUrl('/early'),
            ])
          ).status === 200,
        'a tunnel through the early-answering gateway',
      );
      const credentials = `alice:${PASSWORD}`;
      // The device refuses after the 200 went out: the client sees a reset, not a 502.
      const closedPort = await freePort();
      const refused = await connectTunnel(
        early.port('http'),
        `127.0.0.1:${closedPort}`,
        credentials,
      );
      expect(refused.status).toMatch(/^HTTP\/1\.1 200 /);
      let error = '';
      refused.socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? ''));
      refused.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await closed(refused.socket, 5000)).toBe(true);
      expect(error).toBe('ECONNRESET');
      // A destination the gateway refuses itself is answered before any 200.
      const invalid = await connectTunnel(early.port('http'), 'bad!name.test:80', credentials);
      expect(invalid.status).toMatch(/^HTTP\/1\.1 400 /);
      invalid.socket.destroy();
    } finally {
      await early.close();
    }
  });

  it('answers a SOCKS5 customer at once through the relay, and resets it when the device then refuses (issue 22)', async () => {
    const closedPort = await freePort();
    const alice = { username: 'alice', password: PASSWORD };
    const refused = await socks5Connect(
      relay.port('socks5'),
      ipv4Address('127.0.0.1'),
      closedPort,
      alice,
    );
    let error = '';
    refused.socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? ''));
    // Success before the device answered (pipelining); its refusal can only be a reset then.
    expect(refused.reply).toBe(0x00);
    refused.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await closed(refused.socket, 5000)).toBe(true);
    expect(error).toBe('ECONNRESET');
    // A destination the gateway refuses itself still gets its code, not a success.
    const invalid = await socks5Connect(
      relay.port('socks5'),
      domainAddress('bad name.test'),
      80,
      alice,
    );
    expect(invalid.reply).toBe(0x04);
    invalid.socket.destroy();
  });

  it('replies with the exact code: refused, not allowed, command not supported, IPv4/IPv6/domain', async () => {
    const port = device.port('socks5');
    const closedPort = await freePort();
    const at = (address: Buffer, target: number) =>
      socks5Connect(port, address, target, undefined, '127.0.0.2');
    const refused = await at(ipv4Address('127.0.0.1'), closedPort);
    expect(refused.reply).toBe(0x05);
    const forbidden = await at(ipv4Address('169.254.169.254'), 80);
    expect(forbidden.reply).toBe(0x02);
    const v6 = await at(ipv6Address([...Array(15).fill(0), 1]), 80);
    expect(v6.reply).toBe(0x02); // ::1 is loopback: refused by the direct policy, but parsed
    const byName = await at(domainAddress('localhost'), targets.httpPort);
    expect([0x00, 0x02]).toContain(byName.reply); // localhost may resolve to ::1 (refused) or 127.0.0.1
    const ok = await at(ipv4Address('127.0.0.1'), targets.httpPort);
    expect(ok.reply).toBe(0x00);
    for (const s of [refused, forbidden, v6, byName, ok]) s.socket.destroy();
    const bind = await socks5Request(port, 2, ipv4Address('127.0.0.1'), 80, undefined, '127.0.0.2');
    bind.socket.destroy();
    expect(bind.bytes[1]).toBe(0x07);
  });
});

describe('accounts at work', () => {
  it('lets a whitelisted source in without a password, on both proxies', async () => {
    await account('office', { cidrWhitelist: ['127.0.0.1/32'] });
    expect(
      await curl(['-x', `http://127.0.0.1:${relay.port('http')}`, plainUrl('/wl')]),
    ).toMatchObject({ status: 200 });
    expect(
      await curl(['--socks5', `127.0.0.1:${relay.port('socks5')}`, plainUrl('/wl')]),
    ).toMatchObject({ status: 200 });
    await api.call('DELETE', '/v1/accounts/office');
    await waitFor(async () => !(await accountKnown('office')), 'whitelist account gone');
    expect(
      await curl(['-x', `http://127.0.0.1:${relay.port('http')}`, plainUrl('/wl')]),
    ).toMatchObject({ status: 407 });
  });

  it('cuts a download when the quota runs out, and refuses the account after', async () => {
    await account('metered', { quotaBytes: 300_000 });
    const download = await curl(
      [
        '--limit-rate',
        '2M',
        '-o',
        '/dev/null',
        '-x',
        httpProxy('metered'),
        plainUrl('/bytes/20000000'),
      ],
      20,
    );
    expect(download.code).not.toBe(0);
    await waitFor(
      async () => (await curl(['-x', httpProxy('metered'), plainUrl('/')])).status === 403,
      'over-quota refusal',
    );
    const usage = await api.call('GET', '/v1/accounts/metered/usage');
    expect(Number(usage.body['usedBytes'])).toBeGreaterThanOrEqual(300_000);
  });

  it('stops a CONNECT tunnel at the byte its quota ends, both ways, at loopback speed (byte leases)', async () => {
    const usage = async (id: string) =>
      Number((await api.call('GET', `/v1/accounts/${id}/usage`)).body['usedBytes']);
    // Download: every byte relayed either way came out of a lease.
    await account('leased-down', { quotaBytes: 400_000 });
    const down = await connectTunnel(
      relay.port('http'),
      `127.0.0.1:${targets.httpPort}`,
      `leased-down:${PASSWORD}`,
    );
    expect(down.status).toBe('HTTP/1.1 200 Connection Established');
    const request = 'GET /bytes/5000000 HTTP/1.1\r\nHost: x\r\n\r\n';
    let received = 0;
    down.socket.on('data', (chunk: Buffer) => (received += chunk.length));
    down.socket.write(request);
    expect(await closed(down.socket, 15_000)).toBe(true);
    expect(received + request.length).toBeLessThanOrEqual(400_000);
    expect(received).toBeGreaterThan(300_000);
    // Counted from the sockets (the CONNECT exchange too): within a few hundred bytes of it.
    await waitFor(async () => (await usage('leased-down')) >= received, 'the usage reported');
    expect(await usage('leased-down')).toBeLessThanOrEqual(400_000 + 1000);

    // Upload, to a sink that reads everything.
    let sunk = 0;
    const sink = createServer((socket) => socket.on('data', (c: Buffer) => (sunk += c.length)));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      await account('leased-up', { quotaBytes: 400_000 });
      const up = await connectTunnel(
        relay.port('http'),
        `127.0.0.1:${(sink.address() as AddressInfo).port}`,
        `leased-up:${PASSWORD}`,
      );
      expect(up.status).toBe('HTTP/1.1 200 Connection Established');
      const ended = closed(up.socket, 15_000);
      for (let i = 0; i < 40 && !up.socket.destroyed; i++) up.socket.write(Buffer.alloc(64 * 1024));
      expect(await ended).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(sunk).toBeLessThanOrEqual(400_000);
      expect(sunk).toBeGreaterThan(300_000);
    } finally {
      sink.close();
    }
  });

  it('holds an account to its connection limit', async () => {
    await account('single', { maxConnections: 1 });
    const first = await connectTunnel(
      relay.port('http'),
      `127.0.0.1:${targets.httpPort}`,
      `single:${PASSWORD}`,
    );
    expect(first.status).toMatch(/ 200 /);
    expect(await curl(['-x', httpProxy('single'), plainUrl('/')])).toMatchObject({ status: 429 });
    first.socket.destroy();
    await waitFor(
      async () => (await curl(['-x', httpProxy('single'), plainUrl('/')])).status === 200,
      'a free slot',
    );
  });

  it("counts the account's OpenVPN sessions toward its limit (issue 18)", async () => {
    await account('vpnandproxy', { maxConnections: 1, protocols: ['http', 'openvpn'] });
    const session = {
      username: 'vpnandproxy',
      commonName: 'vpnandproxy',
      vpnIp: '10.9.0.41',
      realIp: '203.0.113.9',
      realPort: 40000,
      connectedAt: '2026-01-05T00:00:00.000Z',
    };
    expect((await api.call('POST', '/v1/openvpn/connect', session)).status).toBe(200);
    await waitFor(
      async () => (await curl(['-x', httpProxy('vpnandproxy'), plainUrl('/')])).status === 429,
      'the OpenVPN session counted at the gateway',
    );
    await api.call('POST', '/v1/openvpn/disconnect', {
      ...session,
      realIp: undefined,
      realPort: undefined,
      bytesReceived: 0,
      bytesSent: 0,
      durationSeconds: 1,
    });
    await waitFor(
      async () => (await curl(['-x', httpProxy('vpnandproxy'), plainUrl('/')])).status === 200,
      'the slot back once the OpenVPN session ended',
    );
  });

  it('closes live tunnels when the account is disabled', async () => {
    await account('bob');
    const tunnel = await connectTunnel(
      relay.port('http'),
      `127.0.0.1:${targets.httpPort}`,
      `bob:${PASSWORD}`,
    );
    expect(tunnel.status).toMatch(/ 200 /);
    await api.call('PATCH', '/v1/accounts/bob', { enabled: false });
    expect(await closed(tunnel.socket, 5000)).toBe(true);
    expect(await curl(['-x', httpProxy('bob'), plainUrl('/')])).toMatchObject({ status: 403 });
  });

  it('limits failed logins per source address', async () => {
    const strict = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
      TUNNELGATE_GATEWAY_AUTH_FAILURES_PER_MINUTE: '3',
    }).start();
    try {
      const via = (password: string) =>
        curl(['-x', `http://alice:${password}@127.0.0.1:${strict.port('http')}`, plainUrl('/')]);
      for (let i = 0; i < 3; i++) expect(await via('wrong')).toMatchObject({ status: 407 });
      expect(await via('wrong')).toMatchObject({ status: 429 });
      expect(await via(encodeURIComponent(PASSWORD))).toMatchObject({ status: 429 });
      expect(await strict.metrics()).toMatch(
        /tunnelgate_gateway_auth_failures_total\{[^}]*reason="rate-limited"/,
      );
    } finally {
      await strict.close();
    }
  });
});

describe('upstreams', () => {
  /**
   * Tunnels to a sender that starts `send` once the client says go; the client reads nothing for
   * `stallMs`, `whileStalled` looks at the gateway, then the client reads to the end. Resolves
   * with the number of bytes it received.
   */
  async function readAfterStall(
    send: (socket: Socket) => void,
    stallMs: number,
    whileStalled: (senderPort: number) => void = () => undefined,
  ): Promise<number> {
    const sender = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => send(socket));
    });
    await new Promise<void>((resolve) => sender.listen(0, '127.0.0.1', resolve));
    const senderPort = (sender.address() as AddressInfo).port;
    const { socket, status } = await connectTunnel(
      device.port('http'),
      `127.0.0.1:${senderPort}`,
      undefined,
      '127.0.0.2',
    ).catch((error: Error) => {
      sender.close();
      throw error;
    });
    try {
      expect(status).toContain('200');
      socket.pause();
      socket.write('go');
      await new Promise((r) => setTimeout(r, stallMs));
      whileStalled(senderPort);
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      await new Promise((resolve) => socket.once('end', resolve).resume());
      return received;
    } finally {
      socket.destroy();
      sender.close();
    }
  }

  it('holds a fast sender back while the client does not read, and loses nothing', async () => {
    const TOTAL = 128 * 1024 * 1024;
    const block = Buffer.alloc(256 * 1024, 7);
    let sent = 0;
    // Streams TOTAL bytes, as fast as its socket takes them.
    const pump = (socket: Socket) => {
      while (sent < TOTAL) {
        const part = block.subarray(0, Math.min(block.length, TOTAL - sent));
        sent += part.length;
        if (!socket.write(part)) return void socket.once('drain', () => pump(socket));
      }
      socket.end();
    };
    const received = await readAfterStall(pump, 1500, (senderPort) => {
      const tunnel = [...device.service.registry.all()].find(
        (t) => t.upstream?.remotePort === senderPort,
      );
      // Kernel buffers take some megabytes; the rest waits in the sender, not in the gateway.
      expect(sent).toBeLessThan(TOTAL / 2);
      expect(tunnel?.client.writableLength).toBeLessThan(1024 * 1024);
      expect(tunnel?.upstream?.isPaused()).toBe(true);
    });
    expect(received).toBe(TOTAL);
  });

  it('relays a trickle of small writes to a client that stops reading for a while', async () => {
    // Small reads make small writes: one of them left queued for the stalled client must still
    // let the relay read on once it is out (no 'drain' comes for a write under the high-water mark).
    const TOTAL = 16 * 1024 * 1024;
    const message = Buffer.alloc(1000, 9);
    let sent = 0;
    const trickle = (socket: Socket) => {
      if (sent >= TOTAL) return void socket.end();
      const part = message.subarray(0, Math.min(message.length, TOTAL - sent));
      sent += part.length;
      if (socket.write(part)) setImmediate(() => trickle(socket));
      else socket.once('drain', () => trickle(socket));
    };
    expect(await readAfterStall(trickle, 1000)).toBe(TOTAL);
  });

  it("reaches the device's SOCKS5 proxy when told to", async () => {
    const viaSocks = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
      TUNNELGATE_GATEWAY_DEVICE_PROXY: 'socks5',
    }).start();
    try {
      const result = await curl([
        '-k',
        '-x',
        `http://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:${viaSocks.port('http')}`,
        secureUrl('/via-socks'),
      ]);
      expect(result).toMatchObject({ status: 200, body: 'hello from /via-socks' });
      expect(await device.metrics()).toMatch(
        /tunnelgate_gateway_connections_total\{[^}]*listener="socks5"[^}]*outcome="tunnel"[^}]*\} [1-9]/,
      );
    } finally {
      await viaSocks.close();
    }
  });

  it('works through tinyproxy as a foreign phone, with its proxy credentials', async () => {
    const port = await freePort();
    const conf = join(api.dir, 'tinyproxy.conf');
    writeFileSync(
      conf,
      `Port ${port}\nListen 127.0.0.3\nTimeout 60\nAllow 127.0.0.0/8\nBasicAuth dev devpass\nLogLevel Critical\n`,
    );
    tinyproxy = spawn('tinyproxy', ['-d', '-c', conf], { stdio: 'ignore' });
    await waitFor(
      async () =>
        (await curl(['-x', `http://dev:devpass@127.0.0.3:${port}`, plainUrl('/')])).status === 200,
      'tinyproxy',
    );
    await api.call('PUT', '/v1/devices/dev-tiny', {
      name: 'tinyproxy phone',
      vpnIp: '127.0.0.3',
      httpPort: port,
      basePort: null,
      proxyCredentials: { username: 'dev', password: 'devpass' },
    });
    await api.call('POST', '/v1/devices/dev-tiny/connected');
    await account('carol', { deviceId: 'dev-tiny' });
    await waitFor(
      async () => (await curl(['-k', '-x', httpProxy('carol'), secureUrl('/tiny')])).status === 200,
      'carol through tinyproxy',
    );
    expect(await curl(['-x', httpProxy('carol'), plainUrl('/tiny-plain')])).toMatchObject({
      status: 200,
      body: 'hello from /tiny-plain',
    });
  });

  it('in device mode, refuses loopback, link-local, private and metadata destinations unless allowed', async () => {
    const viaDevice = (url: string) => curl(['-x', `http://127.0.0.2:${device.port('http')}`, url]);
    expect(await viaDevice(plainUrl('/allowed'))).toMatchObject({ status: 200 });
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.5/',
      'http://10.1.2.3/',
      'http://[::1]/',
      'http://192.168.255.7:8080/',
    ])
      expect(await viaDevice(url)).toMatchObject({ status: 403 });
    expect(
      (await connectTunnel(device.port('http'), '169.254.169.254:443', undefined, '127.0.0.2'))
        .status,
    ).toMatch(/^HTTP\/1\.1 403/);
  });
});

describe('SOCKS5 UDP ASSOCIATE', () => {
  let echo: Awaited<ReturnType<typeof udpEcho>>;
  const alice = { username: 'alice', password: PASSWORD };
  beforeAll(async () => (echo = await udpEcho()));
  afterAll(() => echo.close());

  const usedBytes = async (id: string) =>
    Number((await api.call('GET', `/v1/accounts/${id}/usage`)).body['usedBytes']);

  it("relays datagrams both ways through the device's UDP relay and counts them", async () => {
    const before = await usedBytes('alice');
    const { reply, client } = await Socks5UdpClient.associate(relay.port('socks5'), alice);
    expect(reply).toBe(0x00);
    if (!client) return;
    expect(client.relay.host).toBe('127.0.0.1');
    const payload = Buffer.alloc(1000, 7);
    for (let i = 0; i < 20; i++) {
      client.send('127.0.0.1', echo.port, payload);
      const back = await client.next(2000);
      // The header names the echo server; the payload is untouched.
      expect(back?.subarray(0, 10)).toEqual(
        Socks5UdpClient.packet('127.0.0.1', echo.port, Buffer.alloc(0)),
      );
      expect(back?.subarray(10)).toEqual(Buffer.concat([Buffer.from('echo:'), payload]));
    }
    await waitFor(
      async () => (await usedBytes('alice')) >= before + 2 * 20 * 1000,
      "the datagrams in alice's usage",
    );
    client.close();
  });

  it('drops garbage and other sources, keeps the association, and closes it with its TCP connection', async () => {
    const { client } = await Socks5UdpClient.associate(relay.port('socks5'), alice);
    if (!client) throw new Error('no association');
    client.sendRaw(Buffer.from('garbage'));
    client.sendRaw(Buffer.from([0, 0, 1, 1, 127, 0, 0, 1, echo.port >> 8, echo.port & 0xff, 1]));
    const stranger = createSocket('udp4');
    stranger.send(
      Socks5UdpClient.packet('127.0.0.1', echo.port, Buffer.from('not yours')),
      client.relay.port,
      client.relay.host,
    );
    client.send('127.0.0.1', echo.port, Buffer.from('still here'));
    expect((await client.next(2000))?.subarray(10).toString()).toBe('echo:still here');
    expect(await client.next(300)).toBeUndefined();
    stranger.close();
    expect(await errorCount(relay, 'udp_bad_datagram')).toBeGreaterThanOrEqual(2);
    expect(await errorCount(relay, 'udp_foreign_source')).toBeGreaterThanOrEqual(1);
    const refusedBefore = await errorCount(device, 'udp_refused');
    client.send('169.254.169.254', 53, Buffer.from('metadata?'));
    client.send('10.1.2.3', 53, Buffer.from('cluster?'));
    await waitFor(
      async () => (await errorCount(device, 'udp_refused')) >= refusedBefore + 2,
      'the device refusing both',
    );
    expect(await client.next(300)).toBeUndefined();
    // Once the TCP connection is gone the port is too: the kernel answers port unreachable.
    client.control.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const probe = createSocket('udp4');
    const refused = await new Promise<string>((resolve) => {
      probe.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? ''));
      probe.connect(client.relay.port, client.relay.host, () =>
        probe.send(Socks5UdpClient.packet('127.0.0.1', echo.port, Buffer.from('late'))),
      );
    });
    expect(refused).toBe('ECONNREFUSED');
    probe.close();
    client.socket.close();
  });

  it("takes association ports from the operator's range and says so when none is free", async () => {
    const clients: Socks5UdpClient[] = [];
    let refusal: number | undefined;
    for (let i = 0; i <= UDP_PORTS.to - UDP_PORTS.from + 1 && refusal === undefined; i++) {
      const { reply, client } = await Socks5UdpClient.associate(relay.port('socks5'), alice);
      if (client) clients.push(client);
      else refusal = reply;
    }
    const ports = clients.map((c) => c.relay.port);
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(UDP_PORTS.from);
      expect(port).toBeLessThanOrEqual(UDP_PORTS.to);
    }
    expect(refusal).toBe(0x01);
    for (const client of clients) client.close();
    await waitFor(async () => {
      const { client } = await Socks5UdpClient.associate(relay.port('socks5'), alice);
      client?.close();
      return client !== undefined;
    }, 'a port free again');
  });

  it('answers a phone without UDP ASSOCIATE with its code: refused, command not supported', async () => {
    // One phone has nothing on its SOCKS5 port; the other speaks SOCKS5 but only CONNECT.
    await api.call('PUT', '/v1/devices/dev-no-socks', {
      name: 'HTTP-only phone',
      vpnIp: '127.0.0.3',
      socksPort: await freePort(),
      basePort: null,
    });
    await api.call('POST', '/v1/devices/dev-no-socks/connected');
    await account('erin', { deviceId: 'dev-no-socks' });
    const erin = { username: 'erin', password: PASSWORD };
    expect((await Socks5UdpClient.associate(relay.port('socks5'), erin)).reply).toBe(0x05);
    const connectOnly = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write(Buffer.from([5, 0]));
        socket.once('data', () => socket.end(Buffer.from([5, 7, 0, 1, 0, 0, 0, 0, 0, 0])));
      });
    });
    await new Promise<void>((resolve) => connectOnly.listen(0, '127.0.0.3', resolve));
    await api.call('PUT', '/v1/devices/dev-connect-only', {
      name: 'CONNECT-only phone',
      vpnIp: '127.0.0.3',
      socksPort: (connectOnly.address() as AddressInfo).port,
      basePort: null,
    });
    await api.call('POST', '/v1/devices/dev-connect-only/connected');
    await account('dave', { deviceId: 'dev-connect-only' });
    const dave = { username: 'dave', password: PASSWORD };
    expect((await Socks5UdpClient.associate(relay.port('socks5'), dave)).reply).toBe(0x07);
    connectOnly.close();
  });

  it('counts datagrams as activity and ends an association idle for the idle timeout', async () => {
    const phone = await new GatewayInstance({
      TUNNELGATE_GATEWAY_MODE: 'device',
      TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
      TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS: '1000',
    }).start();
    try {
      const { client } = await Socks5UdpClient.associate(phone.port('socks5'), undefined);
      if (!client) throw new Error('no association');
      // Twice the idle timeout with a datagram every 300 ms: still open.
      for (let i = 0; i < 7; i++) {
        client.send('127.0.0.1', echo.port, Buffer.from(`keep ${i}`));
        expect((await client.next(2000))?.subarray(10).toString()).toBe(`echo:keep ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(client.control.destroyed).toBe(false);
      expect(await closed(client.control, 5000)).toBe(true);
      client.socket.close();
    } finally {
      await phone.close();
    }
  });

  it('ends the association when the account runs out of quota', async () => {
    await account('udpmeter', { quotaBytes: 20_000 });
    const { client } = await Socks5UdpClient.associate(relay.port('socks5'), {
      username: 'udpmeter',
      password: PASSWORD,
    });
    if (!client) throw new Error('no association');
    const ended = closed(client.control, 15_000);
    for (let i = 0; i < 100 && !client.control.destroyed; i++) {
      client.send('127.0.0.1', echo.port, Buffer.alloc(1000));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(await ended).toBe(true);
    client.socket.close();
  });

  /** An errors_total count of a gateway (relay or device), by kind. */
  async function errorCount(gateway: GatewayInstance, kind: string): Promise<number> {
    const line = (await gateway.metrics())
      .split('\n')
      .find((l) => l.startsWith(`tunnelgate_gateway_errors_total{kind="${kind}"`));
    return Number(line?.split(' ')[1] ?? 0);
  }
});

describe('admin port', () => {
  it('is ready with the watch up, and counts connections, bytes and upstream latency', async () => {
    const ready = await fetch(`${relay.adminUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { api: 'ok', upstream: 'ok' } });
    const text = await relay.metrics();
    for (const name of [
      'connections_active',
      'connections_total',
      'upstream_connect_seconds_bucket',
      'bytes_total',
      'auth_failures_total',
    ])
      expect(text).toContain(`tunnelgate_gateway_${name}`);
    // Per device: the tunnels above through the simulated phone, opened and refused.
    // A series by its first labels (the registry appends the app label).
    const value = (series: string) =>
      Number(
        text
          .split('\n')
          .find((line) => line.startsWith(`${series},`))
          ?.split(' ')[1] ?? 0,
      );
    expect(
      value('tunnelgate_gateway_device_connects_total{device="dev-sim",outcome="ok"'),
    ).toBeGreaterThan(0);
    expect(
      value('tunnelgate_gateway_device_connects_total{device="dev-sim",outcome="refused"'),
    ).toBeGreaterThan(0);
    expect(
      value('tunnelgate_gateway_device_connect_seconds_total{device="dev-sim"'),
    ).toBeGreaterThan(0);
  });

  /** tunnel-api's count of password hashes computed, from its /metrics. */
  const hashes = async () =>
    (
      await (
        await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${api.token}` } })
      ).text()
    )
      .split('\n')
      .filter((l) => /^tunnelgate_password_checks_total\{.*outcome="checked"/.test(l))
      .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);

  it("keeps a busy account's password check cached while its usage is reported", async () => {
    const usage = async () =>
      Number((await api.call('GET', '/v1/accounts/alice/usage')).body['usedBytes']);
    await curl(['-x', httpProxy(), plainUrl('/bytes/20000')]);
    const [hashesBefore, usageBefore] = [await hashes(), await usage()];
    for (let i = 0; i < 5; i++) {
      const reported = await usage();
      expect(await curl(['-x', httpProxy(), plainUrl('/bytes/20000')])).toMatchObject({
        status: 200,
      });
      // Every round's bytes are reported (200 ms period), and the account changes in the watch.
      await waitFor(async () => (await usage()) >= reported + 20_000, 'the usage reported');
    }
    expect((await usage()) - usageBefore).toBeGreaterThanOrEqual(5 * 20_000);
    expect(await hashes()).toBe(hashesBefore);
  });

  it('checks the password once for logins of one account that arrive together', async () => {
    await account('crowd');
    const target = `127.0.0.1:${targets.httpPort}`;
    // Connected first, then every CONNECT written in one go: they reach the gateway together.
    const together = async (count: number, credentials: string) => {
      const sockets = await Promise.all(
        Array.from({ length: count }, () => connected(relay.port('http'))),
      );
      for (const socket of sockets) socket.write(connectRequest(target, credentials));
      const statuses = await Promise.all(sockets.map(answerStatus));
      for (const socket of sockets) socket.destroy();
      return statuses;
    };
    const before = await hashes();
    expect(new Set(await together(8, `crowd:${PASSWORD}`))).toEqual(
      new Set(['HTTP/1.1 200 Connection Established']),
    );
    expect((await hashes()) - before).toBe(1);
    // The same wrong password arriving together is one guess: refused alike, after one check.
    expect(new Set(await together(4, 'crowd:wrong'))).toEqual(
      new Set(['HTTP/1.1 407 Proxy Authentication Required']),
    );
    expect((await hashes()) - before).toBe(2);
  });

  it('counts the bytes of a connection while it is open, not only at its end', async () => {
    const bytesOut = async () =>
      Number(
        (await relay.metrics())
          .split('\n')
          .find((l) => /^tunnelgate_gateway_bytes_total\{direction="out"[,}]/.test(l))
          ?.split(' ')[1],
      );
    const before = await bytesOut();
    const { socket, status } = await connectTunnel(
      relay.port('http'),
      `127.0.0.1:${targets.httpPort}`,
      `alice:${PASSWORD}`,
    );
    expect(status).toBe('HTTP/1.1 200 Connection Established');
    socket.write('GET /bytes/300000 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    expect((await readBytes(socket, 300_000)).length).toBeGreaterThanOrEqual(300_000);
    expect(socket.destroyed).toBe(false);
    expect((await bytesOut()) - before).toBeGreaterThanOrEqual(300_000);
    socket.destroy();
  });
});

describe('a store restored from an older backup (issue 20)', () => {
  it('makes the gateway take a snapshot again: an account created after the backup is gone', async () => {
    const port = Number(new URL(api.url).port);
    const db = (suffix = '') => join(api.dir, `store.db${suffix}`);
    await account('before-backup');
    await api.stop();
    copyFileSync(db(), db('.backup'));
    await api.start(port);
    await account('after-backup');
    expect(await curl(['-x', httpProxy('after-backup'), plainUrl('/')])).toMatchObject({
      status: 200,
    });
    await api.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(db(suffix), { force: true });
    copyFileSync(db('.backup'), db());
    await api.start(port);
    // The gateway resumes from a revision the restored store never reached: it is sent to a
    // snapshot, which has no such account (its password check was cached, too).
    await waitFor(
      async () => !(await accountKnown('after-backup')),
      'the gateway to drop the account the backup does not have',
    );
    expect(await accountKnown('before-backup')).toBe(true);
    expect(await curl(['-x', httpProxy('after-backup'), plainUrl('/')])).toMatchObject({
      status: 407,
    });
  });

  it('takes a snapshot too when the restored store was written past the revision the gateway held', async () => {
    const port = Number(new URL(api.url).port);
    const db = (suffix = '') => join(api.dir, `store.db${suffix}`);
    await account('before-backup-2');
    await api.stop();
    copyFileSync(db(), db('.backup-2'));
    await api.start(port);
    await account('after-backup-2');
    await api.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(db(suffix), { force: true });
    copyFileSync(db('.backup-2'), db());
    // Written past the gateway's revision where the gateway cannot see it (another port): by
    // revision alone, what it missed would look like these changes, and the account the
    // backup lacks would stay. The store's epoch (new at every open) says it is other data.
    await api.start(await freePort());
    for (let i = 0; i < 10; i++) {
      const created = await api.call('POST', '/v1/accounts', {
        id: `filler-${i}`,
        username: `filler-${i}`,
        password: PASSWORD,
        deviceId: 'dev-sim',
        protocols: ['http'],
      });
      expect(created.status).toBe(201);
    }
    await api.stop();
    await api.start(port);
    await waitFor(
      async () => !(await accountKnown('after-backup-2')) && (await accountKnown('filler-9')),
      'the gateway to take the restored data whole',
    );
    expect(await accountKnown('before-backup-2')).toBe(true);
  });
});

describe('while tunnel-api is down: fail-static (issue 20)', () => {
  let gateway: GatewayInstance;
  const through = (user: string, password = PASSWORD) =>
    `http://${user}:${encodeURIComponent(password)}@127.0.0.1:${gateway.port('http')}`;
  const known = (id: string) =>
    (
      gateway.service.gate as unknown as { directory: { account(id: string): unknown } }
    ).directory.account(id) !== undefined;

  beforeAll(async () => {
    // Its password checks are fresh for 300 ms only, so the outage below meets stale ones.
    gateway = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
      TUNNELGATE_GATEWAY_AUTH_CACHE_MS: '300',
    }).start();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('logs in customers it verified recently, refuses fast what it cannot check, and applies what changed once tunnel-api is back', async () => {
    const port = Number(new URL(api.url).port);
    await account('static-ok');
    await account('static-bob');
    await waitFor(async () => known('static-ok') && known('static-bob'), 'the accounts');
    expect(await curl(['-x', through('static-ok'), plainUrl('/')])).toMatchObject({ status: 200 });
    const bob = await connectTunnel(
      gateway.port('http'),
      `127.0.0.1:${targets.httpPort}`,
      `static-bob:${PASSWORD}`,
    );
    expect(bob.status).toBe('HTTP/1.1 200 Connection Established');

    await api.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Verified 0.4 s ago, past the fresh cache: served from the last verification.
    expect(await curl(['-x', through('static-ok'), plainUrl('/')])).toMatchObject({ status: 200 });
    // What it cannot check is refused with 503 at once (no wait for a timeout), never let in.
    const started = Date.now();
    expect(await curl(['-x', through('static-ok', 'a wrong one'), plainUrl('/')])).toMatchObject({
      status: 503,
    });
    expect(await curl(['-x', through('static-never-seen'), plainUrl('/')])).toMatchObject({
      status: 503,
    });
    expect(Date.now() - started).toBeLessThan(2000);

    // Meanwhile bob is disabled where this gateway cannot see (another relay; here tunnel-api
    // on another port), and tunnel-api comes back.
    await api.start(await freePort());
    expect((await api.call('PATCH', '/v1/accounts/static-bob', { enabled: false })).status).toBe(
      200,
    );
    await api.stop();
    expect(bob.socket.destroyed).toBe(false);
    await api.start(port);
    await waitFor(async () => bob.socket.destroyed, "bob's tunnel closed once tunnel-api is back");
    expect(await curl(['-x', through('static-bob'), plainUrl('/')])).toMatchObject({
      status: 403,
    });
  });
});
