// The gateway's data plane next to tinyproxy, microsocks and proxy-chain, each against a direct
// connection measured in the same run (these machines are noisy: only ratios carry over). Every
// proxy is a separate process; its CPU per operation comes from /proc, since the client, the
// origin and the proxy share the same cores. The gateway runs in device mode (direct egress),
// the one-hop setup the peers have.
//
//   npx nx build proxy-gateway && bash tools/system-deps/install.sh --bench
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/proxy.bench.ts [scale=1]
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import {
  cpuSeconds,
  pinBenchToOtherCores,
  pinned,
  rssKiB,
  startGateway,
  startMicrosocks,
  startProxyChain,
  startTarget,
  startTinyproxy,
  type Peer,
} from './proxy/peers';
import { get, keptAliveGet, openTunnel } from './proxy/tunnel-client';

const SCALE = Number(process.argv[2] ?? 1);
const MiB = 1024 * 1024;
const BULK_BYTES = 256 * MiB * SCALE;
const NEW_CONNECTIONS = Math.round(2000 * SCALE);
const KEEPALIVE_GETS = Math.round(4000 * SCALE);
const IDLE_TUNNELS = 5000;
const PARALLEL = 8;
/** Every rate is taken in rounds through every proxy in turn (each round starting at another
 * proxy), each against the direct figure of its own round, and the median reported: one run per
 * proxy was too noisy here. */
const ROUNDS = 5;

interface Row {
  name: string;
  bulk1: number;
  bulk8: number;
  connPerSec: number;
  p50: number;
  p99: number;
  getsPerSec: number | undefined;
  cpuPerGiB: number | undefined;
  cpuPerConnUs: number | undefined;
  cpuPerGetUs: number | undefined;
  idleKiB: number | undefined;
}

async function timed<T>(
  pid: number | undefined,
  work: () => Promise<T>,
): Promise<{ seconds: number; cpu: number; value: T }> {
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const t0 = performance.now();
  const value = await work();
  return { seconds: (performance.now() - t0) / 1000, cpu: pid ? cpuSeconds(pid) - cpu0 : 0, value };
}

async function bulk(
  peer: Peer | undefined,
  target: number,
  tunnels: number,
): Promise<{ mibPerSec: number; cpu: number }> {
  const each = Math.floor(BULK_BYTES / tunnels);
  const sockets = await Promise.all(
    Array.from({ length: tunnels }, () => openTunnel(peer, target)),
  );
  const run = await timed(peer?.process.pid, () =>
    Promise.all(sockets.map((s) => get(s, `/bytes/${each}`, true))),
  );
  for (const s of sockets) s.destroy();
  return { mibPerSec: (each * tunnels) / MiB / run.seconds, cpu: run.cpu };
}

async function newConnections(peer: Peer | undefined, target: number) {
  const latencies: number[] = [];
  let next = 0;
  const run = await timed(peer?.process.pid, () =>
    Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next++ < NEW_CONNECTIONS) {
          const t0 = performance.now();
          const socket = await openTunnel(peer, target);
          await get(socket, '/', true);
          socket.destroy();
          latencies.push(performance.now() - t0);
        }
      }),
    ),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSec: NEW_CONNECTIONS / run.seconds, p50: at(0.5), p99: at(0.99), cpu: run.cpu };
}

/** Plain-HTTP GETs over kept-alive connections: through the proxy (absolute URIs) or direct. */
async function keepAliveGets(peer: Peer | undefined, target: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
  const once = () => keptAliveGet(peer, target, agent);
  let next = 0;
  let failures = 0;
  // A proxy may close a kept-alive connection under a request (tinyproxy does): count and retry.
  const retried = async () => {
    for (let attempt = 0; ; attempt++)
      try {
        return await once();
      } catch (error) {
        failures++;
        if (attempt === 9) throw error;
      }
  };
  const run = await timed(peer?.process.pid, () =>
    Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next++ < KEEPALIVE_GETS) await retried();
      }),
    ),
  );
  if (failures > 0)
    console.error(`${peer?.name}: ${failures} keep-alive GETs failed and were retried`);
  agent.destroy();
  return { perSec: KEEPALIVE_GETS / run.seconds, cpu: run.cpu };
}

/**
 * RSS growth per idle tunnel, on a process that has served only a few hundred tunnels: after the
 * rate rounds a Node peer's heap holds megabytes of garbage, and a collection during the
 * measurement made the figure swing (once to 0.1 KiB per tunnel).
 */
async function idleMemory(peer: Peer, target: number): Promise<number> {
  const pid = peer.process.pid ?? 0;
  for (let i = 0; i < 3; i++)
    for (const s of await Promise.all(Array.from({ length: 100 }, () => openTunnel(peer, target))))
      s.destroy();
  await new Promise((r) => setTimeout(r, 500));
  const before = rssKiB(pid);
  const sockets: Socket[] = [];
  for (let i = 0; i < IDLE_TUNNELS; i += 100)
    sockets.push(
      ...(await Promise.all(Array.from({ length: 100 }, () => openTunnel(peer, target)))),
    );
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssKiB(pid);
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 1000));
  return (after - before) / IDLE_TUNNELS;
}

interface Rates {
  bulk1: number;
  bulk8: number;
  cpuPerGiB: number | undefined;
  connPerSec: number;
  p50: number;
  p99: number;
  cpuPerConnUs: number | undefined;
  getsPerSec: number | undefined;
  cpuPerGetUs: number | undefined;
}

// Progress on stderr: a full run takes minutes; the table alone goes to stdout.
const step = (peer: Peer | undefined, name: string) =>
  console.error(`${peer?.name ?? 'direct'}: ${name}`);

async function idleMemoryOf(peer: Peer, target: number): Promise<number> {
  step(peer, 'idle');
  return idleMemory(peer, target);
}

async function rates(peer: Peer | undefined, target: number): Promise<Rates> {
  step(peer, 'bulk');
  const one = await bulk(peer, target, 1);
  const eight = await bulk(peer, target, 8);
  step(peer, 'connections');
  const conns = await newConnections(peer, target);
  step(peer, 'keep-alive');
  const gets =
    !peer || peer.forwards
      ? await keepAliveGets(peer, target).catch((error: Error) => {
          console.error(
            `${peer?.name}: keep-alive GETs failed (${error.message}); reported as n/a`,
          );
          return undefined;
        })
      : undefined;
  return {
    bulk1: one.mibPerSec,
    bulk8: eight.mibPerSec,
    cpuPerGiB: peer ? (one.cpu + eight.cpu) / ((2 * BULK_BYTES) / (1024 * MiB)) : undefined,
    connPerSec: conns.perSec,
    p50: conns.p50,
    p99: conns.p99,
    cpuPerConnUs: peer ? (conns.cpu / NEW_CONNECTIONS) * 1e6 : undefined,
    getsPerSec: gets?.perSec,
    cpuPerGetUs: peer && gets ? (gets.cpu / KEEPALIVE_GETS) * 1e6 : undefined,
  };
}

function median(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return known.length === 0 ? undefined : known[Math.floor(known.length / 2)];
}

const fmt = (value: number | undefined, digits = 2) =>
  value === undefined ? 'n/a' : value.toFixed(digits);

async function main(): Promise<void> {
  pinBenchToOtherCores();
  const dir = mkdtempSync(join(tmpdir(), 'proxy-bench-'));
  const target = await startTarget();
  // A process per listener, as for the peers: CPU and memory figures are per process.
  const startPeers = async () => [
    (await startGateway())[0] as Peer,
    (await startGateway())[1] as Peer,
    await startTinyproxy(dir),
    await startMicrosocks(),
    await startProxyChain(),
  ];
  const peers = await startPeers();
  const started = [...peers];
  try {
    const directRates: Rates[] = [];
    const peerRates: Rates[][] = peers.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      directRates.push(await rates(undefined, target.port));
      // Each round starts with another proxy: no proxy always runs right after the direct run.
      for (let k = 0; k < peers.length; k++) {
        const i = (k + round) % peers.length;
        peerRates[i]?.push(await rates(peers[i] as Peer, target.port));
      }
    }
    const idle: number[] = [];
    for (const peer of peers) peer.process.kill();
    const fresh = await startPeers();
    started.push(...fresh);
    for (const peer of fresh) idle.push(await idleMemoryOf(peer, target.port));
    const ratio = (value: number | undefined, base: number | undefined) =>
      value === undefined || !base ? undefined : value / base;
    const rows: Row[] = peers.map((peer, i) => {
      const own = peerRates[i] ?? [];
      const pick = <K extends keyof Rates>(key: K) =>
        median(own.map((r) => r[key] as number | undefined));
      return {
        name: peer.name,
        bulk1: median(own.map((r, round) => ratio(r.bulk1, directRates[round]?.bulk1))) ?? 0,
        bulk8: median(own.map((r, round) => ratio(r.bulk8, directRates[round]?.bulk8))) ?? 0,
        connPerSec:
          median(own.map((r, round) => ratio(r.connPerSec, directRates[round]?.connPerSec))) ?? 0,
        p50: pick('p50') ?? 0,
        p99: pick('p99') ?? 0,
        getsPerSec: median(
          own.map((r, round) => ratio(r.getsPerSec, directRates[round]?.getsPerSec)),
        ),
        cpuPerGiB: pick('cpuPerGiB'),
        cpuPerConnUs: pick('cpuPerConnUs'),
        cpuPerGetUs: pick('cpuPerGetUs'),
        idleKiB: idle[i],
      };
    });
    const directConn = median(directRates.map((r) => r.connPerSec)) ?? 0;
    console.log(
      `proxy data plane, ratios to a direct connection measured in the same run (node ${process.version}, scale ${SCALE}; rates: median of ${ROUNDS} rounds; ${pinned ? 'each proxy on a core of its own, client and origin on the others' : 'one core shared by all'})`,
    );
    console.log(
      `direct: bulk 1 tunnel ${fmt(median(directRates.map((r) => r.bulk1)), 0)} MiB/s, ` +
        `8 tunnels ${fmt(median(directRates.map((r) => r.bulk8)), 0)} MiB/s, ` +
        `${directConn.toFixed(0)} new conn/s (p50 ${fmt(median(directRates.map((r) => r.p50)))} ms, ` +
        `p99 ${fmt(median(directRates.map((r) => r.p99)))} ms), ` +
        `${fmt(median(directRates.map((r) => r.getsPerSec)), 0)} keep-alive GET/s`,
    );
    console.log(
      [
        'proxy'.padEnd(18),
        'bulk×1',
        'bulk×8',
        'conn/s',
        'p50 ms',
        'p99 ms',
        'GET/s',
        'CPU s/GiB',
        'CPU µs/conn',
        'CPU µs/GET',
        'KiB/idle tunnel',
      ].join('  '),
    );
    for (const r of rows)
      console.log(
        [
          r.name.padEnd(18),
          fmt(r.bulk1).padStart(6),
          fmt(r.bulk8).padStart(6),
          fmt(r.connPerSec).padStart(6),
          fmt(r.p50).padStart(6),
          fmt(r.p99).padStart(6),
          fmt(r.getsPerSec).padStart(5),
          fmt(r.cpuPerGiB).padStart(9),
          fmt(r.cpuPerConnUs, 0).padStart(11),
          fmt(r.cpuPerGetUs, 0).padStart(10),
          fmt(r.idleKiB, 1).padStart(15),
        ].join('  '),
      );
  } finally {
    for (const child of new Set([target.process, ...started.map((p) => p.process)])) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
