import { waitFor } from '@tunnelgate/netns-testing';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayInstance } from './support/gateway-instance';
import { connectTunnel, readBytes, socks5Connect, ipv4Address } from './support/raw-clients';
import { registerSimulatedPhone, simulatedPhone } from './support/simulated-phone';
import { Targets } from './support/targets';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

jest.setTimeout(30_000);

const PASSWORD = 'correct horse battery';
const api = new TunnelApiProcess();
const targets = new Targets();
const device = simulatedPhone();
const dir = mkdtempSync(join(tmpdir(), 'access-log-e2e-'));
const ACCESS_LOG = join(dir, 'access.log');
let relay: GatewayInstance;
let echo: Server;
let echoPort: number;

type Line = Record<string, unknown>;
const lines = (): Line[] =>
  existsSync(ACCESS_LOG)
    ? readFileSync(ACCESS_LOG, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Line)
    : [];
/** The lines of the connection whose client port is `port`, once there are `count` of them. */
async function linesOf(port: number, count = 1): Promise<Line[]> {
  const mine = () => lines().filter((line) => line['client'] === `127.0.0.1:${port}`);
  await waitFor(async () => mine().length >= count, `${count} access log line(s) of :${port}`);
  return mine();
}

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket).on('error', () => undefined));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as AddressInfo).port;
  await targets.start();
  await api.start(undefined, { TUNNELGATE_LOG_LEVEL: 'info' });
  await device.start();
  await registerSimulatedPhone(api, device);
  relay = await new GatewayInstance({
    TUNNELGATE_API_URL: api.url,
    TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
    TUNNELGATE_GATEWAY_ID: 'relay-a',
    TUNNELGATE_GATEWAY_ACCESS_LOG: ACCESS_LOG,
  }).start();
  const created = await api.call('POST', '/v1/accounts', {
    id: 'acc-alice',
    username: 'alice',
    password: PASSWORD,
    deviceId: 'dev-sim',
    protocols: ['http', 'socks5'],
  });
  expect(created.status).toBe(201);
  // The gateway learns the account from its watch.
  await waitFor(async () => {
    const tunnel = await connectTunnel(
      relay.port('http'),
      `127.0.0.1:${echoPort}`,
      `alice:${PASSWORD}`,
    );
    tunnel.socket.destroy();
    return / 200 /.test(tunnel.status);
  }, 'the account at the gateway');
});

afterAll(async () => {
  await relay?.close();
  await device.close();
  await api.remove();
  await targets.close();
  echo.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await api.call('POST', '/v1/devices/dev-sim/heartbeat');
});

describe('access log (one JSON line per tunnel or forwarded request)', () => {
  it('writes exactly one line for a CONNECT tunnel, with its fields, and no secret', async () => {
    const tunnel = await connectTunnel(
      relay.port('http'),
      `127.0.0.1:${echoPort}`,
      `alice:${PASSWORD}`,
    );
    expect(tunnel.status).toMatch(/ 200 /);
    const port = tunnel.socket.localPort as number;
    tunnel.socket.write('ping');
    expect((await readBytes(tunnel.socket, 4)).toString()).toBe('ping');
    tunnel.socket.end();

    const [line, ...more] = await linesOf(port);
    expect(more).toEqual([]);
    expect(line).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      kind: 'tunnel',
      connection: expect.stringMatching(/^relay-a:\d+$/),
      listener: 'http',
      client: `127.0.0.1:${port}`,
      account: 'acc-alice',
      device: 'dev-sim',
      session: null,
      target: `127.0.0.1:${echoPort}`,
      name: null,
      via: null,
      bytesUp: expect.any(Number),
      bytesDown: expect.any(Number),
      durationMs: expect.any(Number),
      outcome: 'tunnel',
      reason: null,
    });
    // The CONNECT head and 'ping' up; the 200 answer and 'ping' down.
    expect(line?.['bytesUp']).toBeGreaterThan(4);
    expect(line?.['bytesDown']).toBeGreaterThan(4);
    const text = readFileSync(ACCESS_LOG, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
  });

  it('writes a refused login with its reason, and without the account', async () => {
    const tunnel = await connectTunnel(
      relay.port('http'),
      `127.0.0.1:${echoPort}`,
      'alice:wrong password',
    );
    expect(tunnel.status).toMatch(/ 407 /);
    const port = tunnel.socket.localPort as number;
    tunnel.socket.destroy();
    const [line] = await linesOf(port);
    expect(line).toMatchObject({
      listener: 'http',
      account: null,
      outcome: 'refused',
      reason: expect.any(String),
    });
    // A wrong password is never cached: it went to tunnel-api under the connection's id,
    // which tunnel-api's line for that request carries.
    const checked = () =>
      api.log
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
        .some(
          (l) =>
            l['message'] === 'request' &&
            l['route'] === '/v1/proxy/auth' &&
            l['requestId'] === line?.['connection'],
        );
    await waitFor(async () => checked(), "tunnel-api's line for the password check");
    expect(readFileSync(ACCESS_LOG, 'utf8')).not.toContain('wrong password');
  });

  it('writes a SOCKS5 tunnel', async () => {
    const { socket, reply } = await socks5Connect(
      relay.port('socks5'),
      ipv4Address('127.0.0.1'),
      echoPort,
      { username: 'alice', password: PASSWORD },
    );
    expect(reply).toBe(0);
    const port = socket.localPort as number;
    socket.end();
    const [line] = await linesOf(port);
    expect(line).toMatchObject({
      listener: 'socks5',
      account: 'acc-alice',
      target: `127.0.0.1:${echoPort}`,
      outcome: 'tunnel',
    });
  });

  it('writes one line per forwarded request on a kept-alive connection, and none for the connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let port = 0;
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: relay.port('http'),
          path: `http://127.0.0.1:${targets.httpPort}${path}`,
          agent,
          headers: {
            'proxy-authorization': `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`,
          },
        });
        req.on('socket', (socket) => socket.once('connect', () => (port = socket.localPort ?? 0)));
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject).end();
      });
    expect(await get('/one')).toBe(200);
    expect(await get('/two')).toBe(200);
    agent.destroy();
    const requests = await linesOf(port, 2);
    expect(requests).toEqual([
      expect.objectContaining({
        kind: 'request',
        method: 'GET',
        status: 200,
        outcome: 'forwarded',
      }),
      expect.objectContaining({
        kind: 'request',
        method: 'GET',
        status: 200,
        outcome: 'forwarded',
      }),
    ]);
    expect(requests[0]?.['target']).toBe(`127.0.0.1:${targets.httpPort}`);
    // The connection's close adds no line of its own.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines().filter((line) => line['client'] === `127.0.0.1:${port}`)).toHaveLength(2);
  });
});
