// Benchmark: cost of one client connect / disconnect in the firewall at 100, 1,000 and 10,000
// active sessions, and of a full reconcile, for tunnelgate's reconciler next to what the original
// relay did (one `iptables` process per rule, `-D` in a loop to remove), in the same run, each in
// a fresh network namespace. Needs root.
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/firewall.bench.ts [ops=40]
import { execFileSync } from 'node:child_process';
import { DEFAULT_FIREWALL_SETTINGS, type FirewallState } from '@tunnelgate/firewall';
import { ClientSet, ExecRunner, FirewallReconciler, Iptables } from '@tunnelgate/firewall-sync';

const OPS = Number(process.argv[2] ?? 40);
const SIZES = [100, 1000, 10000];
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
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
const session = (i: number) => ({ id: `s${i}`, vpnIp: ipOf(i) });

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

async function tunnelgate(size: number) {
  const ns = netns();
  try {
    let state: FirewallState = {
      sessions: Array.from({ length: size }, (_, i) => session(i)),
      devices: [],
    };
    const reconciler = new FirewallReconciler({
      settings: { ...DEFAULT_FIREWALL_SETTINGS, customerSubnet: '10.9.0.0/16' },
      iptables: await Iptables.detect(new ExecRunner(ns.name)),
      clientSet: new ClientSet(new ExecRunner(ns.name)),
      loadState: async () => state,
      logger: quiet,
      resyncIntervalMs: 3_600_000,
    });
    const full = await timed(() => reconciler.start());
    const resync = await timed(() => reconciler.requestSync({ full: true }));
    const add: number[] = [];
    const remove: number[] = [];
    for (let op = 0; op < OPS; op++) {
      state = { ...state, sessions: [...state.sessions, session(size + op)] };
      add.push(await timed(() => reconciler.requestSync()));
    }
    for (let op = 0; op < OPS; op++) {
      state = { ...state, sessions: state.sessions.filter((s) => s.id !== `s${op * 7}`) };
      remove.push(await timed(() => reconciler.requestSync()));
    }
    reconciler.stop();
    return { full, resync, add: quantiles(add), remove: quantiles(remove) };
  } finally {
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
    for (let op = 0; op < OPS; op++)
      add.push(
        await timed(() => ns.exec(['iptables', '-t', 'nat', '-A', 'CLIENTS', ...rule(size + op)])),
      );
    for (let op = 0; op < OPS; op++) {
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
  console.log(
    `firewall: ${OPS} adds and ${OPS} removes per size, ms (p50/p99); iptables ${execFileSync('iptables', ['-V']).toString().trim()}`,
  );
  console.log(
    [
      'sessions',
      'tg add',
      'tg remove',
      'tg full',
      'tg resync',
      'old add',
      'old remove',
      'old full',
      'old/tg add',
    ]
      .map((h) => h.padStart(14))
      .join(''),
  );
  for (const size of SIZES) {
    const tg = await tunnelgate(size);
    const old = await baseline(size);
    console.log(
      [
        String(size),
        `${ms(tg.add.p50)}/${ms(tg.add.p99)}`,
        `${ms(tg.remove.p50)}/${ms(tg.remove.p99)}`,
        ms(tg.full),
        ms(tg.resync),
        `${ms(old.add.p50)}/${ms(old.add.p99)}`,
        `${ms(old.remove.p50)}/${ms(old.remove.p99)}`,
        `${ms(old.full)}${old.estimated ? ' est' : ''}`,
        (old.add.p50 / tg.add.p50).toFixed(2),
      ]
        .map((c) => c.padStart(14))
        .join(''),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
