// What a firewall sync pays to learn the desired state, and what a device heartbeat costs the
// store, on a real SQLite store (issue 21, part 3). Before: every sync listed and decoded every
// active session and device from the store, and every heartbeat was a record update with a
// change on the feed. Now: syncs read RelayStateCache (memory kept by the feed), heartbeats are
// `devices.touch`. Prints both per size, and their ratio; the same process runs both.
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/firewall-state.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FIREWALL_SETTINGS, relayState } from '@tunnelgate/firewall';
import { RelayStateCache } from '@tunnelgate/firewall-sync';
import { aDevice, aSession } from '@tunnelgate/sessions/testing';
import { SqliteStore } from '@tunnelgate/store';

const DEVICES = 1000;
const SYNCS = 20;
const HEARTBEATS = 2000;

const ip = (base: string, n: number) => `${base}.${Math.floor(n / 250)}.${(n % 250) + 2}`;

async function timed(times: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < times; i++) await run(i);
  return (performance.now() - started) / times;
}

async function measure(sessions: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-state-bench-'));
  const store = new SqliteStore({ path: join(dir, 'store.db') });
  try {
    // Addresses inside the default subnets, so relayState keeps them all.
    for (let i = 0; i < DEVICES; i++)
      await store.devices.put(
        aDevice({ id: `d${i}`, vpnIp: ip('192.168', i), basePort: 20000 + 3 * i }),
      );
    for (let i = 0; i < sessions; i++)
      await store.sessions.create(aSession({ id: `s${i}`, vpnIp: ip('10.9', i % 60000) }));
    const settings = {
      ...DEFAULT_FIREWALL_SETTINGS,
      customerSubnet: '10.9.0.0/16',
      deviceSubnet: '192.168.0.0/16',
    };
    const fromStore = await timed(SYNCS, async () =>
      relayState(
        {
          sessions: await store.sessions.listActive(),
          devices: (await store.devices.list()).filter((d) => d.status === 'online'),
        },
        settings,
      ),
    );
    const cache = new RelayStateCache(store, () => undefined, { warn: () => undefined });
    await cache.start();
    const fromMemory = await timed(SYNCS, async () => relayState(cache.state(), settings));
    cache.stop();
    const update = await timed(HEARTBEATS, (i) =>
      store.devices.update(`d${i % DEVICES}`, { lastSeenAt: new Date().toISOString() }),
    );
    const touch = await timed(HEARTBEATS, (i) =>
      store.devices.touch(`d${i % DEVICES}`, new Date().toISOString()),
    );
    console.log(
      `${String(sessions).padStart(6)} sessions, ${DEVICES} devices | state per sync: store ${fromStore.toFixed(2)} ms, memory ${fromMemory.toFixed(3)} ms (${(fromStore / fromMemory).toFixed(0)}x) | heartbeat: update+feed ${(update * 1000).toFixed(0)} µs, touch ${(touch * 1000).toFixed(0)} µs (${(update / touch).toFixed(1)}x)`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const sessions of [100, 1000, 10_000]) await measure(sessions);
}

void main();
