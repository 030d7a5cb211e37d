// Benchmark: a client's connect and disconnect through the firewall's production path, at 100,
// 1,000 and 10,000 active sessions with 2,000 devices heartbeating every 10 s: the session
// written to a SQLite store, the store's change feed bringing it to the in-memory state
// (RelayStateCache), and the reconciler putting its address in the client set, as tunnel-api's
// connect does (caughtUp, then a clients sync). Also a full reconcile, the CPU and syncs that
// heartbeats cost, and, in the same run, the two designs before it: a chain edit per client
// (one `iptables-restore --noflush` of one rule) and the original relay (one `iptables` process
// per rule, `-D` in a loop to remove). Each in a fresh network namespace; needs root.
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/firewall.bench.ts [ops=200]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FIREWALL_SETTINGS, relayScope } from '@tunnelgate/firewall';
import {
  ClientSet,
  ExecRunner,
  FirewallReconciler,
  Iptables,
  RelayStateCache,
  type SyncScope,
} from '@tunnelgate/firewall-sync';
import { aDevice, aSession } from '@tunnelgate/sessions/testing';
import { SqliteStore } from '@tunnelgate/store';

const OPS = Number(process.argv[2] ?? 200);
/** The original relay's removal is a loop of processes: 40 of each is plenty at its cost. */
const OLD_OPS = Math.min(OPS, 40);
const SIZES = [100, 1000, 10000];
const DEVICES = 2000;
const HEARTBEAT_PERIOD_MS = 10_000;
/** Heartbeats alone, to measure what they cost. */
const IDLE_WINDOW_MS = 5_000;
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let nsCounter = 0;

function netns(): {
  name: string;
  exec: (args: string[], input?: string) => void;
  remove: () => void;
} {
  const name = `tgbench${process.pid}x${++nsCounter}`;
  execFileSync('ip', ['netns', 'add', name]);
  return {
    name,
    exec: (args, input) =>
      void execFileSync('ip', ['netns', 'exec', name, ...args], {
        input,
        stdio: ['pipe', 'ignore', 'ignore'],
      }),
    remove: () => execFileSync('ip', ['netns', 'del', name]),
  };
}

const ipOf = (i: number) => `10.9.${Math.floor(i / 250)}.${2 + (i % 250)}`;

function quantiles(times: number[]): { p50: number; p99: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

async function timed(action: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const settings = {
  ...DEFAULT_FIREWALL_SETTINGS,
  customerSubnet: '10.9.0.0/16',
  deviceSubnet: '192.168.248.0/21',
};

async function tunnelgate(size: number) {
  const ns = netns();
  const dir = mkdtempSync(join(tmpdir(), 'tg-fw-bench-'));
  const store = new SqliteStore({ path: join(dir, 'store.db') });
  const syncs = new Map<SyncScope, number>();
  let reconciler: FirewallReconciler | undefined;
  let cache: RelayStateCache | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    for (let i = 0; i < DEVICES; i++)
      await store.devices.put(
        aDevice({
          id: `dev-${i}`,
          vpnIp: `192.168.${248 + ((i + 2) >> 8)}.${(i + 2) & 0xff}`,
          basePort: 20000 + 4 * i,
        }),
      );
    for (let i = 0; i < size; i++)
      await store.sessions.create(aSession({ id: `s${i}`, vpnIp: ipOf(i) }));
    const state = new RelayStateCache(
      store,
      (what) => void reconciler?.requestSync({ clientsOnly: what === 'session' }).catch(() => 0),
      quiet,
      relayScope(settings),
    );
    const runner = new ExecRunner(ns.name);
    const syncer = new FirewallReconciler({
      settings,
      iptables: await Iptables.detect(runner),
      clientSet: new ClientSet(runner),
      loadState: async () => state.syncState(),
      logger: quiet,
      observer: {
        synced: ({ scope }) => syncs.set(scope, (syncs.get(scope) ?? 0) + 1),
        failed: () => undefined,
      },
      resyncIntervalMs: 3_600_000,
    });
    cache = state;
    await state.start();
    reconciler = syncer;
    const full = await timed(() => syncer.start());

    // Every device once per HEARTBEAT_PERIOD_MS, spread evenly, as long as the run lasts.
    let beats = 0;
    heartbeat = setInterval(
      () => {
        const at = new Date().toISOString();
        for (let k = 0; k < 5; k++) void store.devices.touch(`dev-${beats++ % DEVICES}`, at);
      },
      (HEARTBEAT_PERIOD_MS * 5) / DEVICES,
    );

    syncs.clear();
    const cpuBefore = process.cpuUsage();
    const beatsBefore = beats;
    await sleep(IDLE_WINDOW_MS);
    const cpu = process.cpuUsage(cpuBefore);
    const idleBeats = beats - beatsBefore;
    const idleSyncs = [...syncs.values()].reduce((a, b) => a + b, 0);

    const connect = async (i: number) => {
      await store.sessions.create(aSession({ id: `s${i}`, vpnIp: ipOf(i) }));
      await state.caughtUp();
      await syncer.requestSync({ clientsOnly: true });
    };
    const disconnect = async (i: number) => {
      await store.sessions.update(`s${i}`, {
        state: 'closed',
        closedAt: new Date().toISOString(),
        closeReason: 'disconnect',
      });
      await state.caughtUp();
      await syncer.requestSync({ clientsOnly: true });
    };
    const add: number[] = [];
    const remove: number[] = [];
    for (let op = 0; op < OPS; op++) add.push(await timed(() => connect(size + op)));
    // Spread over old and new sessions; 7 is prime to every size + OPS, so each is closed once.
    for (let op = 0; op < OPS; op++)
      remove.push(await timed(() => disconnect((op * 7) % (size + OPS))));
    const resync = await timed(() => syncer.requestSync({ full: true }));
    return {
      full,
      resync,
      add: quantiles(add),
      remove: quantiles(remove),
      cpuPerBeatUs: (cpu.user + cpu.system) / idleBeats,
      idleSyncsPerSecond: idleSyncs / (IDLE_WINDOW_MS / 1000),
      beatsPerSecond: idleBeats / (IDLE_WINDOW_MS / 1000),
    };
  } finally {
    clearInterval(heartbeat);
    reconciler?.stop();
    cache?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    ns.remove();
  }
}

const rule = (i: number) => [
  '-s',
  `${ipOf(i)}/32`,
  '-i',
  'tun0',
  '-p',
  'tcp',
  '-j',
  'REDIRECT',
  '--to-ports',
  '12345',
];

/**
 * The design before the client set: a rule per client in one chain, each connect and
 * disconnect one `iptables-restore --noflush` of that rule (the kernel side of a chain edit,
 * without the planning that came with it).
 */
async function chainEdit(size: number) {
  const ns = netns();
  try {
    const all = Array.from({ length: size }, (_, i) => `-A CLIENTS ${rule(i).join(' ')}`);
    ns.exec(
      ['iptables-restore', '--noflush'],
      `*nat\n:CLIENTS - [0:0]\n${all.join('\n')}\nCOMMIT\n`,
    );
    const edit = (line: string) =>
      ns.exec(['iptables-restore', '--noflush'], `*nat\n${line}\nCOMMIT\n`);
    const add: number[] = [];
    const remove: number[] = [];
    for (let op = 0; op < OPS; op++)
      add.push(await timed(() => edit(`-A CLIENTS ${rule(size + op).join(' ')}`)));
    for (let op = 0; op < OPS; op++)
      remove.push(await timed(() => edit(`-D CLIENTS ${rule((op * 7) % (size + OPS)).join(' ')}`)));
    return { add: quantiles(add), remove: quantiles(remove) };
  } finally {
    ns.remove();
  }
}

/** The original relay: every rule its own `iptables` process; removal loops `-D` until it fails. */
async function baseline(size: number) {
  const ns = netns();
  try {
    ns.exec(['iptables', '-t', 'nat', '-N', 'CLIENTS']);
    // Its full reconcile is one process per rule; at 10,000 that takes minutes, so it is timed
    // over the first 500 and scaled (it grows at least linearly).
    const direct = Math.min(size, 500);
    const fullPart = await timed(() => {
      for (let i = 0; i < direct; i++)
        ns.exec(['iptables', '-t', 'nat', '-A', 'CLIENTS', ...rule(i)]);
    });
    const full = (fullPart * size) / direct;
    if (size > direct) {
      const rest = Array.from(
        { length: size - direct },
        (_, k) => `-A CLIENTS ${rule(direct + k).join(' ')}`,
      );
      ns.exec(['iptables-restore', '--noflush'], `*nat\n${rest.join('\n')}\nCOMMIT\n`);
    }
    const add: number[] = [];
    const remove: number[] = [];
    for (let op = 0; op < OLD_OPS; op++)
      add.push(
        await timed(() => ns.exec(['iptables', '-t', 'nat', '-A', 'CLIENTS', ...rule(size + op)])),
      );
    for (let op = 0; op < OLD_OPS; op++) {
      const spec = rule(op * 7).join(' ');
      remove.push(
        await timed(() =>
          ns.exec(['sh', '-c', `while iptables -t nat -D CLIENTS ${spec} 2>/dev/null; do :; done`]),
        ),
      );
    }
    return { full, estimated: size > direct, add: quantiles(add), remove: quantiles(remove) };
  } finally {
    ns.remove();
  }
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, iptables)');
  const ms = (n: number) => n.toFixed(n < 100 ? 1 : 0);
  const pair = (q: { p50: number; p99: number }) => `${ms(q.p50)}/${ms(q.p99)}`;
  const row = (cells: string[], width = 13) => cells.map((c) => c.padStart(width)).join('');
  console.log(
    `firewall: ${OPS} connects and ${OPS} disconnects per size, ms (p50/p99), ${DEVICES} devices ` +
      `heartbeating every ${HEARTBEAT_PERIOD_MS / 1000} s; ${execFileSync('iptables', ['-V']).toString().trim()}`,
  );
  console.log(
    row([
      'sessions',
      'tg connect',
      'tg disconn',
      'tg full',
      'tg resync',
      'beats/s',
      'syncs/s',
      'cpu/beat µs',
      'chain add',
      'chain del',
      'old add',
      'old remove',
      'old full',
      'chain/tg',
      'old/tg',
    ]),
  );
  for (const size of SIZES) {
    const tg = await tunnelgate(size);
    const chain = await chainEdit(size);
    const old = await baseline(size);
    console.log(
      row([
        String(size),
        pair(tg.add),
        pair(tg.remove),
        ms(tg.full),
        ms(tg.resync),
        tg.beatsPerSecond.toFixed(0),
        tg.idleSyncsPerSecond.toFixed(1),
        tg.cpuPerBeatUs.toFixed(0),
        pair(chain.add),
        pair(chain.remove),
        pair(old.add),
        pair(old.remove),
        `${ms(old.full)}${old.estimated ? ' est' : ''}`,
        (chain.add.p50 / tg.add.p50).toFixed(1),
        (old.add.p50 / tg.add.p50).toFixed(1),
      ]),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
