import { waitFor } from '@tunnelgate/netns-testing';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { Agent, request } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { GatewayInstance } from './support/gateway-instance';
import { simulatedPhone } from './support/simulated-phone';
import {
  closed,
  connected,
  connectTunnel,
  domainAddress,
  readBytes,
  socks5Connect,
} from './support/raw-clients';
import { Socks5UdpClient } from './support/socks5-udp-client';
import { Targets } from './support/targets';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

// The attacks of issue 25 that a customer or a phone can make through the gateway, each on real
// sockets: tunnel-api (a real process), the relay gateway, an honest phone (a gateway in device
// mode on 127.0.0.2), hostile phones (raw servers on 127.0.0.4 and 127.0.0.5) and an origin on
// 127.0.0.1 that records which of its connections served whom.
jest.setTimeout(30_000);

const api = new TunnelApiProcess();
const phone = simulatedPhone();
let relay: GatewayInstance;
const PASSWORD = 'correct horse battery';

/** The origin: what it was asked, on which of its connections (and that connection). */
const origin = new Targets();

const basic = (user: string) => `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString('base64')}`;
const usedBytes = async (id: string) =>
  Number((await api.call('GET', `/v1/accounts/${id}/usage`)).body['usedBytes']);

async function device(id: string, vpnIp: string, ports: Record<string, number>): Promise<void> {
  const put = await api.call('PUT', `/v1/devices/${id}`, {
    name: id,
    vpnIp,
    basePort: null,
    ...ports,
  });
  expect(put.status).toBe(200);
  expect((await api.call('POST', `/v1/devices/${id}/connected`)).status).toBeLessThan(300);
}

async function account(id: string, deviceId: string, fields: Record<string, unknown> = {}) {
  const created = await api.call('POST', '/v1/accounts', {
    id,
    username: id,
    password: PASSWORD,
    deviceId,
    protocols: ['http', 'socks5'],
    ...fields,
  });
  expect(created.status).toBe(201);
  const gate = relay.service.gate as unknown as { directory: { account(id: string): unknown } };
  await waitFor(
    async () => gate.directory.account(id) !== undefined,
    `account ${id} at the gateway`,
  );
}

/** One HTTP/1.1 exchange on a raw kept-alive socket: the status and the body's length. */
function exchange(socket: Socket, head: string): Promise<{ status: number; length: number }> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const finish = (answer: { status: number; length: number }) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = received.subarray(0, end).toString('latin1');
      const length = Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? 0);
      if (received.length >= end + 4 + length)
        finish({ status: Number(text.split(' ')[1]), length });
    };
    const onClose = () => finish({ status: 0, length: 0 });
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(head);
  });
}

/** A phone whose proxy answers every CONNECT with 200 and records every byte it is sent. */
async function recordingPhone(): Promise<{ server: NetServer; received: () => string }> {
  let received = '';
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n'))
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.5', resolve));
  return { server, received: () => received };
}

beforeAll(async () => {
  await origin.start();
  await api.start(undefined, {
    TUNNELGATE_API_REQUEST_TIMEOUT_MS: '1500',
    TUNNELGATE_WATCH_BUFFER_BYTES: String(64 * 1024),
  });
  await phone.start();
  await device('dev-honest', '127.0.0.2', {
    httpPort: phone.port('http'),
    socksPort: phone.port('socks5'),
  });
  relay = await new GatewayInstance({
    TUNNELGATE_API_URL: api.url,
    TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
    TUNNELGATE_GATEWAY_USAGE_FLUSH_MS: '200',
    TUNNELGATE_GATEWAY_UDP_PORTS: '47200-47203',
  }).start();
  await account('alice', 'dev-honest');
  await account('bob', 'dev-honest');
}, 30_000);

afterAll(async () => {
  await relay?.close();
  await phone.close();
  await api.remove();
  await origin.close();
});

describe('a hostile phone', () => {
  let victim: DatagramSocket;
  let phoneRelay: DatagramSocket;
  let hostile: NetServer;
  const reached = { victim: [] as string[], phone: [] as string[] };

  beforeAll(async () => {
    // A UDP service on the relay host's loopback, and the phone's own UDP relay on the same port.
    victim = createSocket('udp4');
    victim.on('message', (message, from) => {
      reached.victim.push(message.toString());
      victim.send('secret from the relay host', from.port, from.address);
    });
    await new Promise<void>((resolve) => victim.bind(0, '127.0.0.1', resolve));
    const port = victim.address().port;
    phoneRelay = createSocket('udp4');
    phoneRelay.on('message', (message) => reached.phone.push(message.toString()));
    await new Promise<void>((resolve) => phoneRelay.bind(port, '127.0.0.4', resolve));
    // Its SOCKS5 proxy names the relay host's service as the association's relay.
    hostile = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write(Buffer.from([5, 0]));
        socket.once('data', () =>
          socket.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff])),
        );
      });
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.4', resolve));
    await device('dev-hostile', '127.0.0.4', {
      socksPort: (hostile.address() as AddressInfo).port,
    });
    await account('mallory', 'dev-hostile');
  });

  afterAll(() => {
    victim.close();
    phoneRelay.close();
    hostile.close();
  });

  it("cannot point a customer's datagrams at the relay host's loopback (row 1)", async () => {
    const { reply, client } = await Socks5UdpClient.associate(relay.port('socks5'), {
      username: 'mallory',
      password: PASSWORD,
    });
    expect(reply).toBe(0);
    if (!client) return;
    client.send('198.51.100.7', 53, Buffer.from('query'));
    // The datagram goes to the phone's own address, on the port it named.
    await waitFor(async () => reached.phone.length > 0, "the datagram at the phone's address");
    expect(reached.phone[0]).toContain('query');
    expect(reached.victim).toEqual([]);
    expect(await client.next(300)).toBeUndefined();
    client.close();
  });
});

describe('a customer', () => {
  it('cannot smuggle a request to the phone in a SOCKS5 DOMAINNAME or a CONNECT target (row 5)', async () => {
    const recorder = await recordingPhone();
    await device('dev-recorder', '127.0.0.5', {
      httpPort: (recorder.server.address() as AddressInfo).port,
    });
    await account('carol', 'dev-recorder');
    const smuggled =
      'a.test:80 HTTP/1.1\r\nHost: a.test\r\n\r\nGET http://internal/ HTTP/1.1\r\nX:';
    const socks = await socks5Connect(relay.port('socks5'), domainAddress(smuggled), 80, {
      username: 'carol',
      password: PASSWORD,
    });
    expect(socks.reply).toBe(0x04);
    socks.socket.destroy();
    for (const target of ['a"b.test:80', 'a@b.test:80', 'a..b.test:80']) {
      const tunnel = await connectTunnel(relay.port('http'), target, `carol:${PASSWORD}`);
      expect(tunnel.status).toBe('HTTP/1.1 400 Bad Request');
      tunnel.socket.destroy();
    }
    // The phone was never asked anything; an honest name still reaches it.
    expect(recorder.received()).toBe('');
    const fine = await connectTunnel(relay.port('http'), 'ok.test:80', `carol:${PASSWORD}`);
    expect(fine.status).toBe('HTTP/1.1 200 Connection Established');
    expect(recorder.received()).toMatch(/^CONNECT ok\.test:80 HTTP\/1\.1\r\nHost: ok\.test:80\r\n/);
    fine.socket.destroy();
    recorder.server.close();
  });

  it('cannot move a kept-alive connection to another account by its whitelist (row 6)', async () => {
    await account('whitelisted', 'dev-honest', { cidrWhitelist: ['127.0.0.1/32'] });
    const whitelistedBefore = await usedBytes('whitelisted');
    const socket = await connected(relay.port('http'));
    socket.on('error', () => undefined);
    const get = (auth: string) =>
      `GET http://127.0.0.1:${origin.httpPort}/bytes/200000 HTTP/1.1\r\nHost: x\r\n${auth}\r\n`;
    expect(await exchange(socket, get(`Proxy-Authorization: ${basic('alice')}\r\n`))).toEqual({
      status: 200,
      length: 200_000,
    });
    // Later bare requests stay alice's, though the source address is the other account's.
    expect(await exchange(socket, get(''))).toMatchObject({ status: 200 });
    const gate = relay.service.gate as unknown as { registry: { countFor(id: string): number } };
    expect(gate.registry.countFor('alice')).toBe(1);
    expect(gate.registry.countFor('whitelisted')).toBe(0);
    // Another account's credentials on the same connection are refused.
    const other = await exchange(socket, get(`Proxy-Authorization: ${basic('bob')}\r\n`));
    expect(other.status).toBe(403);
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await usedBytes('whitelisted')).toBe(whitelistedBefore);
  });

  it('never shares an upstream connection with another account (row 7)', async () => {
    const agents = [new Agent({ keepAlive: true }), new Agent({ keepAlive: true })];
    const fetchAs = (user: string, agent: Agent) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: relay.port('http'),
            path: `http://127.0.0.1:${origin.httpPort}/bytes/10`,
            headers: { 'proxy-authorization': basic(user), 'x-who': user },
            agent,
          },
          (res) => res.resume().once('end', resolve),
        );
        req.once('error', reject);
        req.end();
      });
    const before = origin.seen.length;
    for (let i = 0; i < 3; i++) {
      await fetchAs('alice', agents[0] as Agent);
      await fetchAs('bob', agents[1] as Agent);
    }
    const served = origin.seen.slice(before);
    const via = (who: string) =>
      new Set(served.filter((r) => r.headers['x-who'] === who).map((r) => r.clientPort));
    // Each customer's kept-alive connection keeps its own upstream...
    expect(via('alice').size).toBe(1);
    expect(via('bob').size).toBe(1);
    // ...and never the other's.
    expect([...via('alice')].some((port) => via('bob').has(port))).toBe(false);
    for (const agent of agents) agent.destroy();
  });

  it('stops a forwarded download at once when the client leaves mid-response (row 2)', async () => {
    const socket = await connected(relay.port('http'));
    socket.on('error', () => undefined);
    const path = `/bytes/${512 * 1024 * 1024}`;
    socket.write(
      `GET http://127.0.0.1:${origin.httpPort}${path} HTTP/1.1\r\n` +
        `Host: x\r\nProxy-Authorization: ${basic('alice')}\r\n\r\n`,
    );
    await readBytes(socket, 256 * 1024);
    const serving = origin.seen.find((r) => r.path === path)?.socket;
    expect(serving?.destroyed).toBe(false);
    socket.destroy();
    // The device tunnel and the origin connection behind it close with the client.
    await waitFor(async () => serving?.destroyed === true, 'the origin connection closed', 50);
  });

  it("closes a kept-alive connection's pooled upstream when its account is disabled (row 2)", async () => {
    await account('pooled', 'dev-honest');
    const socket = await connected(relay.port('http'));
    socket.on('error', () => undefined);
    const path = '/bytes/10';
    const auth = `Proxy-Authorization: ${basic('pooled')}\r\n`;
    expect(
      await exchange(
        socket,
        `GET http://127.0.0.1:${origin.httpPort}${path} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      ),
    ).toEqual({ status: 200, length: 10 });
    // Between requests the device tunnel waits in the connection's pool, the origin behind it.
    const pooled = origin.seen.filter((r) => r.path === path).at(-1)?.socket;
    expect(pooled?.destroyed).toBe(false);
    expect((await api.call('PATCH', '/v1/accounts/pooled', { enabled: false })).status).toBe(200);
    await waitFor(
      async () => pooled?.destroyed === true && socket.destroyed,
      'both legs closed',
      50,
    );
  });

  it('has the Host header rewritten from the absolute URI (row 10)', async () => {
    const before = origin.seen.length;
    const socket = await connected(relay.port('http'));
    socket.on('error', () => undefined);
    const answer = await exchange(
      socket,
      `GET http://127.0.0.1:${origin.httpPort}/bytes/1 HTTP/1.1\r\nHost: intranet.corp\r\n` +
        `Proxy-Authorization: ${basic('alice')}\r\n\r\n`,
    );
    expect(answer.status).toBe(200);
    expect(origin.seen[before]?.headers.host).toBe(`127.0.0.1:${origin.httpPort}`);
    socket.destroy();
  });

  it("cannot reach the phone's loopback through an IPv4-compatible IPv6 address (row 11)", async () => {
    for (const target of ['[::7f00:1]:80', '[::a9fe:a9fe]:80', '[64:ff9b::7f00:1]:80']) {
      const tunnel = await connectTunnel(phone.port('http'), target, undefined, '127.0.0.2');
      expect(tunnel.status).toBe('HTTP/1.1 403 Forbidden');
      expect(await closed(tunnel.socket, 2000)).toBe(true);
    }
  });
});

describe('the API, with the token', () => {
  it('refuses usage reports beyond safe bounds, and saturates totals (row 8)', async () => {
    for (const bytes of [2 ** 53 - 1, -1, 1.5, 2 ** 40 + 1]) {
      const report = await api.call('POST', '/v1/usage', {
        id: `report-${bytes}`.replace('.', '_'),
        reporter: 'attacker',
        entries: [{ accountId: 'alice', bytes }],
      });
      expect(report.status).toBe(400);
    }
    expect(await usedBytes('alice')).toBeLessThan(2 ** 40);
  });

  it('keeps serving when one stored record is out of bounds, refusing just that one (row 8)', async () => {
    await account('corrupt', 'dev-honest');
    // What an older release let a token holder do: a counter no Number holds exactly.
    const db = new Database(join(api.dir, 'store.db'));
    db.prepare('UPDATE accounts SET used_bytes = ? WHERE id = ?').run(2 ** 54, 'corrupt');
    db.close();
    const fresh = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
    }).start();
    try {
      expect(await fresh.metrics()).toMatch(
        /tunnelgate_gateway_errors_total\{kind="watch_bad_account_record",[^}]*\} [1-9]/,
      );
      const refused = await connectTunnel(
        fresh.port('http'),
        '127.0.0.1:80',
        `corrupt:${PASSWORD}`,
      );
      expect(refused.status).toBe('HTTP/1.1 503 Service Unavailable');
      refused.socket.destroy();
      const served = await connectTunnel(
        fresh.port('http'),
        `127.0.0.1:${origin.httpPort}`,
        `alice:${PASSWORD}`,
      );
      expect(served.status).toBe('HTTP/1.1 200 Connection Established');
      served.socket.destroy();
    } finally {
      await fresh.close();
      await api.call('DELETE', '/v1/accounts/corrupt');
    }
  });

  it("refuses device ports on the relay's own or another device's, and well-known ones (row 9)", async () => {
    const put = (id: string, basePort: number) =>
      api.call('PUT', `/v1/devices/${id}`, { name: id, vpnIp: '127.0.0.9', basePort });
    expect((await put('dev-ssh', 22)).status).toBe(400);
    expect((await put('dev-openvpn', 1192)).status).toBe(400);
    expect((await put('dev-proxy', 3127)).status).toBe(400);
    expect((await put('dev-one', 21000)).status).toBe(200);
    expect((await put('dev-one', 21000)).status).toBe(200);
    const overlap = await put('dev-two', 21002);
    expect(overlap.status).toBe(409);
    expect(JSON.stringify(overlap.body)).toMatch(/dev-one/);
    expect((await put('dev-two', 21003)).status).toBe(200);
    // Registered at once, only one of two clashing devices gets its ports.
    const raced = await Promise.all([put('dev-three', 21010), put('dev-four', 21011)]);
    expect(raced.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('refuses catch-all whitelists (row 16)', async () => {
    for (const cidrWhitelist of [['0.0.0.0/0'], ['10.0.0.0/8'], ['::/0'], ['2000::/3']]) {
      const created = await api.call('POST', '/v1/accounts', {
        username: 'everyone',
        password: PASSWORD,
        deviceId: 'dev-honest',
        cidrWhitelist,
      });
      expect(created.status).toBe(400);
      expect(JSON.stringify(created.body)).toMatch(/too broad for a whitelist/);
    }
    const patched = await api.call('PATCH', '/v1/accounts/alice', { cidrWhitelist: ['0.0.0.0/1'] });
    expect(patched.status).toBe(400);
  });
});

describe('a password guesser', () => {
  const auth = (username: string, password: string, clientIp: string) =>
    api.call('POST', '/v1/proxy/auth', { username, password, protocol: 'http', clientIp });
  /** Password hashes tunnel-api has computed so far. */
  const hashes = async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    return [
      ...text.matchAll(/^tunnelgate_password_checks_total\{[^}]*outcome="checked"[^}]*\} (\d+)/gm),
    ]
      .map((match) => Number(match[1]))
      .reduce((sum, count) => sum + count, 0);
  };

  it('is refused before any hash past the limits, and locks no one out of known places (rows 3, 4)', async () => {
    await account('target', 'dev-honest');
    expect((await auth('target', PASSWORD, '203.0.113.10')).status).toBe(200);
    const before = await hashes();
    const flood = Array.from({ length: 400 }, (_, i) =>
      auth('target', `guess number ${i}`, '198.51.100.66'),
    );
    // Meanwhile: a customer's first login from a new address, and the target's own from home.
    const newcomer = auth('bob', PASSWORD, '203.0.113.77');
    const owner = auth('target', PASSWORD, '203.0.113.10');
    const answers = await Promise.all(flood);
    expect((await newcomer).status).toBe(200);
    expect((await owner).status).toBe(200);
    const statuses = answers.map((a) => a.status);
    // The username's limit (10 a minute) refuses the rest with 429, before their hash.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(390);
    expect(await hashes()).toBeLessThanOrEqual(before + 10 + 2);
    // A place the target never logged in from is refused while the guessing lasts...
    expect((await auth('target', PASSWORD, '203.0.113.99')).status).toBe(429);
    // ...and the guesser's address, now known for failures, for every username.
    for (let i = 0; i < 12; i++) await auth(`someone${i}`, 'wrong password', '198.51.100.66');
    expect((await auth('bob', PASSWORD, '198.51.100.66')).status).toBe(429);
  });

  it('sheds a flood from many addresses fast, and still checks OpenVPN and known customers (row 4)', async () => {
    await account('vpncustomer', 'dev-honest', { protocols: ['openvpn'] });
    const flood = Array.from({ length: 300 }, (_, i) =>
      auth(`nobody${i}`, 'wrong password', `198.18.${i >> 8}.${i & 0xff}`),
    );
    const known = auth('bob', PASSWORD, '203.0.113.77');
    const openvpn = api.call('POST', '/v1/openvpn/auth', {
      username: 'vpncustomer',
      password: PASSWORD,
      realIp: '203.0.113.78',
    });
    const answers = await Promise.all(flood);
    const shed = answers.filter((a) => a.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    expect(JSON.stringify(shed[0]?.body)).toMatch(/AUTH_BUSY/);
    expect((await known).status).toBe(200);
    // A first OpenVPN login, from an address never seen: the priority line, never shed.
    expect((await openvpn).status).toBe(200);
  });
});

describe('a client of tunnel-api', () => {
  const apiPort = () => Number(new URL(api.url).port);

  it('cannot hold a request head open by dripping it (row 12)', async () => {
    const socket = await connected(apiPort());
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 300);
    try {
      expect(await closed(socket, 5000)).toBe(true);
    } finally {
      clearInterval(drip);
    }
  });

  it('is dropped from the watch when it stops reading, past the buffer bound (row 13)', async () => {
    const socket = await connected(apiPort());
    socket.on('error', () => undefined);
    socket.write(
      `GET /v1/watch?kinds=account HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.token}\r\n\r\n`,
    );
    await readBytes(socket, 1);
    socket.pause();
    // Account changes of about 5 KB each, far more than the kernel's buffers hold.
    const whitelist = Array.from({ length: 256 }, (_, i) => `198.51.${i}.0/24`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < 3000) {
          const edit = next % 2 ? whitelist : whitelist.slice(1);
          expect(
            (await api.call('PATCH', '/v1/accounts/bob', { cidrWhitelist: edit })).status,
          ).toBe(200);
        }
      }),
    );
    socket.resume();
    expect(await closed(socket, 5000)).toBe(true);
    await api.call('PATCH', '/v1/accounts/bob', { cidrWhitelist: [] });
  });
});
