import { freePort, spawnRedisServer, waitFor } from '@tunnelgate/netns-testing';
import type { ChildProcess } from 'node:child_process';
import { GatewayInstance } from './support/gateway-instance';
import { closed, connectTunnel } from './support/raw-clients';
import { curl } from './support/curl';
import { registerSimulatedPhone, simulatedPhone } from './support/simulated-phone';
import { Targets } from './support/targets';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

// Two relays (tunnel-api + gateway each) sharing one real redis-server, one phone (a gateway in
// device mode): an account's quota and connection limit hold across both (issue 19).
jest.setTimeout(60_000);

const PASSWORD = 'correct horse battery';
const QUOTA = 3_000_000;
const targets = new Targets();
const device = simulatedPhone();
const apis = [new TunnelApiProcess(), new TunnelApiProcess()];
const relays: GatewayInstance[] = [];
let redis: ChildProcess | undefined;

beforeAll(async () => {
  const redisPort = await freePort();
  redis = await spawnRedisServer(redisPort);
  await targets.start();
  await device.start();
  for (const [i, api] of apis.entries()) {
    await api.start(undefined, { TUNNELGATE_STORE: `redis://127.0.0.1:${redisPort}/0` });
    relays.push(
      await new GatewayInstance({
        TUNNELGATE_API_URL: api.url,
        TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
        TUNNELGATE_GATEWAY_ID: `relay-${i}`,
      }).start(),
    );
  }
  const [first] = apis;
  if (!first) throw new Error('no relay');
  await registerSimulatedPhone(first, device);
});

afterAll(async () => {
  for (const relay of relays) await relay.close();
  await device.close();
  for (const api of apis) await api.remove();
  await targets.close();
  redis?.kill('SIGKILL');
});

/** Creates an HTTP account through the first relay, and waits until both gateways know it. */
async function accountOnBoth(id: string, fields: Record<string, unknown>): Promise<void> {
  const created = await apis[0]!.call('POST', '/v1/accounts', {
    id,
    username: id,
    password: PASSWORD,
    deviceId: 'dev-sim',
    protocols: ['http'],
    ...fields,
  });
  expect(created.status).toBe(201);
  const known = (relay: GatewayInstance) =>
    (
      relay.service.gate as unknown as { directory: { account(id: string): unknown } }
    ).directory.account(id) !== undefined;
  await waitFor(async () => relays.every(known), `account ${id} at both relays`);
}

describe('two relays sharing one Redis (issue 19)', () => {
  it("holds an account's quota across both, at loopback speed: what they relay together stays within it", async () => {
    const [first] = apis;
    await accountOnBoth('shared', { quotaBytes: QUOTA });

    // Two downloads through each relay at once, each asking for far more than the quota.
    const request = 'GET /bytes/20000000 HTTP/1.1\r\nHost: x\r\n\r\n';
    let received = 0;
    let answered = 0;
    const downloads = relays.flatMap((relay) =>
      [0, 1].map(async () => {
        const { socket, status } = await connectTunnel(
          relay.port('http'),
          `127.0.0.1:${targets.httpPort}`,
          `shared:${PASSWORD}`,
        );
        // The others may have used the whole quota up before this one came in: refused then.
        if (status === 'HTTP/1.1 403 Forbidden') return closed(socket, 30_000);
        expect(status).toBe('HTTP/1.1 200 Connection Established');
        let first = true;
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (first) answered++;
          first = false;
        });
        socket.write(request);
        return closed(socket, 30_000);
      }),
    );
    expect(await Promise.all(downloads)).toEqual([true, true, true, true]);
    // A tunnel that got an answer had its request relayed (one may have found the quota gone).
    const relayed = received + answered * request.length;
    expect(relayed).toBeLessThanOrEqual(QUOTA);
    // Each relay gives back what it leased and did not use; nearly all of the quota was served.
    expect(relayed).toBeGreaterThan(QUOTA * 0.9);
    const usage = async () =>
      Number((await first!.call('GET', '/v1/accounts/shared/usage')).body['usedBytes']);
    await waitFor(async () => (await usage()) >= received, 'both relays reported');
    const used = await usage();
    const leaseRequests = async (relay: GatewayInstance) =>
      (await relay.metrics())
        .split('\n')
        .filter((line) => line.startsWith('tunnelgate_gateway_byte_lease_requests_total{'))
        .reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
    const requests = (await Promise.all(relays.map(leaseRequests))).reduce((a, b) => a + b, 0);
    expect(requests).toBeGreaterThan(0);
    console.log(
      `two relays, quota ${QUOTA}: relayed ${relayed} (${((100 * relayed) / QUOTA).toFixed(1)}%), billed ${used}, ${requests} lease requests`,
    );
    // Billed what the tunnels took from their leases: never past the quota.
    expect(used).toBeLessThanOrEqual(QUOTA);
    expect(used).toBeGreaterThanOrEqual(received);
  });

  it("holds maxConnections across both relays, and frees a closed connection's slot for the other", async () => {
    await accountOnBoth('two-max', { maxConnections: 2 });
    const open = (relay: GatewayInstance) =>
      connectTunnel(relay.port('http'), `127.0.0.1:${targets.httpPort}`, `two-max:${PASSWORD}`);
    const [a, b] = relays as [GatewayInstance, GatewayInstance];
    const onA = await open(a);
    const onB = await open(b);
    expect([onA.status, onB.status]).toEqual([
      'HTTP/1.1 200 Connection Established',
      'HTTP/1.1 200 Connection Established',
    ]);
    // A third, on either relay, is one too many (429, as for a limit on one relay).
    const plain = `http://127.0.0.1:${targets.httpPort}/`;
    const through = (relay: GatewayInstance) =>
      `http://two-max:${encodeURIComponent(PASSWORD)}@127.0.0.1:${relay.port('http')}`;
    expect(await curl(['-x', through(a), plain])).toMatchObject({ status: 429 });
    expect(await curl(['-x', through(b), plain])).toMatchObject({ status: 429 });
    // One closes on A: its slot goes back, and B may use it.
    onA.socket.destroy();
    await waitFor(
      async () => (await curl(['-x', through(b), plain])).status === 200,
      'the freed slot taken through the other relay',
      50,
    );
    onB.socket.destroy();
  });
});
