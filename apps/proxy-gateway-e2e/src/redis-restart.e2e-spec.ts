import { freePort, spawnRedisServer, waitFor } from '@tunnelgate/netns-testing';
import type { ChildProcess } from 'node:child_process';
import { curl } from './support/curl';
import { GatewayInstance } from './support/gateway-instance';
import { registerSimulatedPhone, simulatedPhone } from './support/simulated-phone';
import { Targets } from './support/targets';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

// tunnel-api on a real redis-server without persistence, a phone (a gateway in device mode)
// and the relay's gateway: Redis restarts empty and is written past the gateway's revision.
jest.setTimeout(60_000);

const PASSWORD = 'correct horse battery';
const targets = new Targets();
const api = new TunnelApiProcess();
const device = simulatedPhone();
let relay: GatewayInstance | undefined;
let redis: ChildProcess | undefined;
let redisPort = 0;

async function startRedis(): Promise<void> {
  redis = await spawnRedisServer(redisPort);
}

async function putDeviceAndAccounts(ids: string[]): Promise<void> {
  await registerSimulatedPhone(api, device);
  for (const id of ids) {
    const created = await api.call('POST', '/v1/accounts', {
      id,
      username: id,
      password: PASSWORD,
      deviceId: 'dev-sim',
      protocols: ['http'],
    });
    expect(created.status).toBe(201);
  }
}

const known = (id: string) =>
  (
    relay?.service.gate as unknown as { directory: { account(id: string): unknown } }
  ).directory.account(id) !== undefined;
const through = (user: string) =>
  `http://${user}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${relay?.port('http')}`;

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();
  await targets.start();
  await device.start();
  await api.start(undefined, { TUNNELGATE_STORE: `redis://127.0.0.1:${redisPort}/0` });
  relay = await new GatewayInstance({
    TUNNELGATE_API_URL: api.url,
    TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
  }).start();
});

afterAll(async () => {
  await relay?.close();
  await device.close();
  await api.remove();
  await targets.close();
  redis?.kill('SIGKILL');
});

describe('a Redis store restarted empty (issue 20)', () => {
  it('makes the gateway reload, and an account the new data lacks is refused from then on', async () => {
    await putDeviceAndAccounts(['gone-after-restart', 'filler-a']);
    await waitFor(async () => known('gone-after-restart'), 'the account at the gateway');
    const plain = `http://127.0.0.1:${targets.httpPort}/`;
    expect(await curl(['-x', through('gone-after-restart'), plain])).toMatchObject({ status: 200 });

    const stopped = new Promise((resolve) => redis?.once('exit', resolve));
    redis?.kill('SIGKILL');
    await stopped;
    await startRedis();
    // The new data is written past the revision the gateway holds before it looks again.
    await putDeviceAndAccounts(Array.from({ length: 10 }, (_, i) => `after-restart-${i}`));
    const written = Date.now();
    await waitFor(
      async () => !known('gone-after-restart') && known('after-restart-9'),
      'the gateway to take the new data whole',
      50,
    );
    console.log(`gateway reloaded ${Date.now() - written} ms after the new data was written`);
    expect(await curl(['-x', through('gone-after-restart'), plain])).toMatchObject({
      status: 407,
    });
    expect(await curl(['-x', through('after-restart-9'), plain])).toMatchObject({ status: 200 });
  });
});
