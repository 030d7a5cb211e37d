// New tunnels per second through the gateway (device mode, HTTP CONNECT) with one worker and
// with N (TUNNELGATE_GATEWAY_WORKERS, default this machine's cores), in alternating rounds: the
// scaling of issue 23. Nothing is pinned: the gateway, the bench client and the origin share
// every core, as they would share a relay node's with the kernel's TCP work, so the rate ratio
// is what N workers win on this machine, and the CPU per tunnel (the gateway's whole process
// tree, primary included) says what they cost.
//
//   npx nx build proxy-gateway
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/gateway-workers.bench.ts [rounds=5] [tunnels=4000] [workers=cores]
import { availableParallelism } from 'node:os';
import { startGateway, startTarget, treeCpuSeconds, type Peer } from './proxy/peers';
import { get, openTunnel } from './proxy/tunnel-client';

const ROUNDS = Number(process.argv[2] ?? 5);
const TUNNELS = Number(process.argv[3] ?? 4000);
const WORKERS = Number(process.argv[4] ?? availableParallelism());
const PARALLEL = 32;

interface Variant {
  workers: number;
  peer: Peer;
  rates: number[];
  cpuUs: number[];
  benchUs: number[];
}

async function inParallel(count: number, one: () => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next++ < count) await one();
    }),
  );
}

/** One round: `TUNNELS` new tunnels (open, one GET, close), `PARALLEL` at a time. */
async function round(variant: Variant, target: number): Promise<void> {
  const pid = variant.peer.process.pid as number;
  const cpuBefore = treeCpuSeconds(pid);
  const benchBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await inParallel(TUNNELS, async () => {
    const socket = await openTunnel(variant.peer, target);
    await get(socket, '/', true);
    socket.destroy();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bench = process.cpuUsage(benchBefore);
  variant.rates.push(TUNNELS / seconds);
  variant.cpuUs.push(((treeCpuSeconds(pid) - cpuBefore) / TUNNELS) * 1e6);
  variant.benchUs.push((bench.user + bench.system) / TUNNELS);
}

/** Waits until the gateway's primary counts every worker accepting. */
async function allWorkersUp(admin: string, workers: number): Promise<void> {
  if (workers === 1) return;
  for (let i = 0; i < 100; i++) {
    const text = await fetch(`${admin}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    if (new RegExp(`^tunnelgate_gateway_workers\\{[^}]*\\} ${workers}$`, 'm').test(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the gateway never had ${workers} workers up`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

async function main(): Promise<void> {
  const target = await startTarget();
  const variants: Variant[] = [];
  for (const workers of [1, WORKERS]) {
    const [peer] = (await startGateway({ workers })) as [Peer];
    variants.push({ workers, peer, rates: [], cpuUs: [], benchUs: [] });
  }
  try {
    for (const variant of variants) {
      await allWorkersUp(variant.peer.admin as string, variant.workers);
      await round(variant, target.port); // warm-up, not counted
      variant.rates.length = variant.cpuUs.length = variant.benchUs.length = 0;
    }
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) await round(variant, target.port);
      console.log(
        `round ${r + 1}: ` +
          variants
            .map(
              (v) =>
                `${v.workers} worker(s) ${v.rates.at(-1)?.toFixed(0)}/s, ${v.cpuUs.at(-1)?.toFixed(0)} µs`,
            )
            .join('; '),
      );
    }
    const [one, many] = variants as [Variant, Variant];
    console.log(
      `new tunnels/s, median of ${ROUNDS} rounds of ${TUNNELS} (${PARALLEL} at a time), ${availableParallelism()} cores shared by gateway, client and origin:`,
    );
    for (const v of variants)
      console.log(
        `  ${v.workers} worker(s): ${median(v.rates).toFixed(0)}/s, gateway CPU ${median(v.cpuUs).toFixed(0)} µs/tunnel, bench client ${median(v.benchUs).toFixed(0)} µs/tunnel`,
      );
    console.log(
      `  ratio ${many.workers}/1 workers: rate ${(median(many.rates) / median(one.rates)).toFixed(2)}, CPU per tunnel ${(median(many.cpuUs) / median(one.cpuUs)).toFixed(2)}`,
    );
  } finally {
    for (const variant of variants) variant.peer.process.kill('SIGTERM');
    target.process.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
