// How fast an external flush is repaired while syncs keep coming, and what the canary costs.
// In a fresh network namespace (root): the reconciler with the barrier and the canary
// (TUNNELGATE_FIREWALL_CHECK_MS, 500 ms), a sync asked for every 20 ms (as heartbeats did), and
// `iptables -t nat -F` + `iptables -F FORWARD` + the barrier's table deleted, `flushes` times;
// each repair timed by polling the kernel every 10 ms. Then this process's CPU over 10 s idle,
// with the canary and without it, so the canary's own cost is the difference.
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/firewall-repair.bench.ts [flushes=20]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEFAULT_FIREWALL_SETTINGS } from '@tunnelgate/firewall';
import {
  ClientSet,
  ExecRunner,
  FirewallReconciler,
  ForwardBarrier,
  Iptables,
  syncStateOf,
  KernelCanary,
  teardownFirewall,
} from '@tunnelgate/firewall-sync';
import { Netns } from '@tunnelgate/netns-testing';

const FLUSHES = Number(process.argv[2] ?? 20);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** CPU ms of this process and of its children that have exited (/proc/self/stat, 100 Hz ticks). */
function cpuMs(): { own: number; children: number } {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = (i: number) => Number(fields[i - 3] ?? 0) * 10;
  return { own: ticks(14) + ticks(15), children: ticks(16) + ticks(17) };
}

async function main(): Promise<void> {
  const ns = new Netns();
  const runner = new ExecRunner(ns.name);
  const iptables = await Iptables.detect(runner);
  const inNs = (...args: string[]) =>
    spawnSync('ip', ['netns', 'exec', ns.name, ...args], { stdio: 'ignore' }).status === 0;
  const repaired = () =>
    inNs(
      'iptables',
      '-t',
      'nat',
      '-C',
      'PREROUTING',
      '-m',
      'comment',
      '--comment',
      'tunnelgate:jump:kernel',
      '-j',
      'TG-PREROUTING',
    ) &&
    inNs(
      'iptables',
      '-C',
      'FORWARD',
      '-m',
      'comment',
      '--comment',
      'tunnelgate:jump:kernel',
      '-j',
      'TG-FORWARD',
    ) &&
    inNs('nft', 'list', 'table', 'inet', 'tunnelgate');
  const reconciler = (canary: boolean) =>
    new FirewallReconciler({
      settings: DEFAULT_FIREWALL_SETTINGS,
      iptables,
      clientSet: new ClientSet(runner),
      barrier: new ForwardBarrier(runner, DEFAULT_FIREWALL_SETTINGS),
      loadState: async () =>
        syncStateOf({
          sessions: Array.from({ length: 1000 }, (_, i) => ({
            id: `s${i}`,
            vpnIp: `10.9.${i >> 7}.${(i & 0x7f) + 2}`,
          })),
          devices: [],
        }),
      logger: quiet,
      resyncIntervalMs: 10_000,
      ...(canary && { canary: new KernelCanary(runner, iptables, true), canaryIntervalMs: 500 }),
    });
  try {
    const watched = reconciler(true);
    await watched.start();
    let loaded = true;
    const load = (async () => {
      while (loaded) {
        await watched.requestSync().catch(() => undefined);
        await sleep(20);
      }
    })();
    const times: number[] = [];
    for (let i = 0; i < FLUSHES; i++) {
      // Flushes land at any point of the canary's period.
      await sleep(200 + Math.random() * 500);
      inNs('iptables', '-t', 'nat', '-F');
      inNs('iptables', '-F', 'FORWARD');
      inNs('nft', 'delete', 'table', 'inet', 'tunnelgate');
      const flushedAt = performance.now();
      while (!repaired()) await sleep(10);
      times.push(performance.now() - flushedAt);
    }
    loaded = false;
    await load;
    watched.stop();
    const sorted = [...times].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    console.log(
      `flush -> repaired, ${FLUSHES} flushes under a sync every 20 ms (1,000 sessions; ${iptables.backend}):`,
    );
    console.log(
      `  p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`,
    );

    for (const canary of [false, true]) {
      const idle = reconciler(canary);
      await idle.start();
      const before = cpuMs();
      await sleep(10_000);
      const after = cpuMs();
      idle.stop();
      console.log(
        `  idle, canary ${canary ? 'on ' : 'off'}: CPU ms per second: this process ` +
          `${((after.own - before.own) / 10).toFixed(1)}, the tools it ran ${((after.children - before.children) / 10).toFixed(1)}`,
      );
    }
    await teardownFirewall(iptables, runner);
  } finally {
    ns.remove();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
