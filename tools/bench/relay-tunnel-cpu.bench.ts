// The relay-mode gateway's own CPU per new tunnel (issue 23's goal: 300 µs, the C-proxy class),
// with C proxies as the phone: tinyproxy for an HTTP device proxy, microsocks for a SOCKS5 one.
// Per device proxy, two relay gateways run side by side, the earlier behaviour (no warm
// connections, no pipelining) and the current one, measured in alternating rounds: the
// customer's CONNECT with a password, one GET through the tunnel, close. Each gateway is one
// process pinned to a core of its own (the rest of the bench on the other cores); its CPU is
// read from schedstat, and its idle rate (the warm pool's timers) is subtracted. A gateway in
// device mode (no accounts, straight to the origin) runs in the same rounds as the reference: the
// same code without what relay mode adds.
//
//   npx nx run-many -t build -p tunnel-api proxy-gateway
//   bash tools/system-deps/install.sh --bench     # tinyproxy, microsocks
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/relay-tunnel-cpu.bench.ts [rounds=7] [tunnels=1500]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@tunnelgate/netns-testing';
import {
  cpuNs,
  pinBenchToOtherCores,
  spawnProxy,
  startGateway,
  startMicrosocks,
  startTarget,
  startTinyproxy,
  type Peer,
} from './proxy/peers';
import { get, openTunnel } from './proxy/tunnel-client';
import { PASSWORD, Relay } from './usage/relays';

const ROUNDS = Number(process.argv[2] ?? 7);
const TUNNELS = Number(process.argv[3] ?? 1500);
const PARALLEL = 8;
const PHONE_IP = '127.0.0.2';
const ROOT = join(__dirname, '../..');

const BEHAVIOURS = {
  earlier: { TUNNELGATE_GATEWAY_POOL_MAX: '0', TUNNELGATE_GATEWAY_PIPELINE: 'off' },
  current: {},
} as const;
type Behaviour = keyof typeof BEHAVIOURS;
type DeviceProxy = 'http' | 'socks5';

interface Gateway {
  /** 'direct': the device-mode reference. */
  deviceProxy: DeviceProxy | 'direct';
  behaviour: Behaviour;
  peer: Peer;
  cpuUs: number[];
}

async function startRelayGateway(
  relay: Relay,
  deviceProxy: DeviceProxy,
  behaviour: Behaviour,
): Promise<Gateway> {
  const [port, admin] = [await freePort(), await freePort()];
  const child = spawnProxy(process.execPath, [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
    env: {
      PATH: process.env['PATH'],
      TUNNELGATE_API_URL: relay.apiUrl,
      TUNNELGATE_API_TOKEN_FILE: join(relay.dir, 'gateway-token'),
      TUNNELGATE_GATEWAY_ID: `${deviceProxy}-${behaviour}`,
      TUNNELGATE_GATEWAY_WORKERS: '1',
      TUNNELGATE_GATEWAY_DEVICE_PROXY: deviceProxy,
      TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.1:${port}`,
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
      TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN: 'off',
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TUNNELGATE_LOG_LEVEL: 'error',
      ...BEHAVIOURS[behaviour],
    },
    stdio: 'ignore',
  });
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${admin}/readyz`)).ok,
    `the ${deviceProxy} ${behaviour} gateway`,
  );
  const peer: Peer = {
    name: `relay ${deviceProxy} ${behaviour}`,
    kind: 'http',
    port,
    forwards: true,
    process: child,
  };
  return { deviceProxy, behaviour, peer, cpuUs: [] };
}

async function round(gateway: Gateway, username: string, target: number): Promise<void> {
  const pid = gateway.peer.process.pid as number;
  // The idle rate: what the gateway spends with no tunnels (pool timers, watch).
  const idleStart = cpuNs(pid);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idleNsPerMs = (cpuNs(pid) - idleStart) / 500;
  const before = cpuNs(pid);
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next++ < TUNNELS) {
        const socket = await openTunnel(gateway.peer, target, `${username}:${PASSWORD}`);
        await get(socket, '/', true);
        socket.destroy();
      }
    }),
  );
  const busyNs = cpuNs(pid) - before - idleNsPerMs * (Date.now() - started);
  gateway.cpuUs.push(busyNs / TUNNELS / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

async function main(): Promise<void> {
  pinBenchToOtherCores();
  const dir = mkdtempSync(join(tmpdir(), 'relay-cpu-bench-'));
  const target = await startTarget();
  const phones: Record<DeviceProxy, Peer> = {
    // The phones run on the bench's cores: on the gateway's own, its writes to them were
    // charged with their wake-ups (a third of its CPU per tunnel went to the CONNECT's write).
    http: await startTinyproxy(dir, PHONE_IP, false),
    socks5: await startMicrosocks(PHONE_IP, false),
  };
  const relay = new Relay(dir, 'relay', `sqlite:${join(dir, 'store.db')}`, {});
  relay.apiPort = await freePort();
  relay.apiUrl = `http://127.0.0.1:${relay.apiPort}`;
  await relay.startApi();
  const gateways: Gateway[] = [];
  try {
    for (const deviceProxy of ['http', 'socks5'] as const) {
      await relay.call('PUT', `/v1/devices/phone-${deviceProxy}`, {
        name: `${deviceProxy} phone`,
        vpnIp: PHONE_IP,
        httpPort: phones.http.port,
        socksPort: phones.socks5.port,
        basePort: null,
      });
      await relay.call('POST', `/v1/devices/phone-${deviceProxy}/connected`);
      await relay.call('POST', '/v1/accounts', {
        id: `customer-${deviceProxy}`,
        username: `customer-${deviceProxy}`,
        password: PASSWORD,
        deviceId: `phone-${deviceProxy}`,
        protocols: ['http'],
      });
      for (const behaviour of ['earlier', 'current'] as const)
        gateways.push(await startRelayGateway(relay, deviceProxy, behaviour));
    }
    const [directPeer] = (await startGateway()) as [Peer];
    const device: Gateway = {
      deviceProxy: 'direct',
      behaviour: 'current',
      peer: directPeer,
      cpuUs: [],
    };
    gateways.push(device);
    // Every gateway's auth cache filled and pool in demand before the counted rounds.
    for (const gateway of gateways) {
      await round(gateway, `customer-${gateway.deviceProxy}`, target.port);
      gateway.cpuUs.length = 0;
    }
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? gateways : [...gateways].reverse();
      for (const gateway of order) {
        if (gateway.deviceProxy !== 'direct')
          await relay.call('POST', `/v1/devices/phone-${gateway.deviceProxy}/heartbeat`);
        await round(gateway, `customer-${gateway.deviceProxy}`, target.port);
      }
    }
    const reference = median(device.cpuUs);
    console.log(
      `relay-mode gateway CPU per new tunnel (CONNECT with a password, one GET, close), median of ${ROUNDS} rounds of ${TUNNELS}, ${PARALLEL} at a time:`,
    );
    for (const deviceProxy of ['http', 'socks5'] as const) {
      const of = (behaviour: Behaviour) =>
        median(
          gateways.find((g) => g.deviceProxy === deviceProxy && g.behaviour === behaviour)?.cpuUs ??
            [],
        );
      const phone = deviceProxy === 'http' ? 'tinyproxy' : 'microsocks';
      console.log(
        `  phone ${phone} (${deviceProxy}): earlier ${of('earlier').toFixed(0)} µs, current ${of('current').toFixed(0)} µs, current/earlier ${(of('current') / of('earlier')).toFixed(2)}, current/device mode ${(of('current') / reference).toFixed(2)}`,
      );
    }
    console.log(
      `  device mode (the same code, straight to the origin): ${reference.toFixed(0)} µs`,
    );
  } finally {
    for (const gateway of gateways) gateway.peer.process.kill('SIGTERM');
    for (const phone of Object.values(phones)) phone.process.kill('SIGTERM');
    await relay.stop();
    target.process.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
