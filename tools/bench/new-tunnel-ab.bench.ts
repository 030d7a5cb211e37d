// CPU per new CONNECT tunnel, the gateway (HTTP listener, device mode) against proxy-chain, in
// paired rounds: the figure the full proxy benchmark is noisiest on, measured alone. Each proxy
// is pinned to a core of its own; both first forward kept-alive GETs (the gateway's costs per
// tunnel differ after them); then every round opens `tunnels` tunnels through each, one GET
// each, in turn. Prints each round and the median of the paired differences.
//
//   npx nx build proxy-gateway
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/new-tunnel-ab.bench.ts [rounds=11] [tunnels=2000] [gets=16000]
import { Agent } from 'node:http';
import {
  cpuSeconds,
  pinBenchToOtherCores,
  startGateway,
  startProxyChain,
  startTarget,
  type Peer,
} from './proxy/peers';
import { get, keptAliveGet, openTunnel } from './proxy/tunnel-client';

const ROUNDS = Number(process.argv[2] ?? 11);
const TUNNELS = Number(process.argv[3] ?? 2000);
const GETS = Number(process.argv[4] ?? 16_000);
const PARALLEL = 8;

async function inParallel(count: number, one: () => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next++ < count) await one();
    }),
  );
}

/** Microseconds of the proxy's CPU per new tunnel (open, one GET, close). */
async function cpuPerTunnel(peer: Peer, target: number): Promise<number> {
  const before = cpuSeconds(peer.process.pid as number);
  await inParallel(TUNNELS, async () => {
    const socket = await openTunnel(peer, target);
    await get(socket, '/', true);
    socket.destroy();
  });
  return ((cpuSeconds(peer.process.pid as number) - before) / TUNNELS) * 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;
/** Whole microseconds, without a "-0". */
const us = (value: number) => (Math.round(value) || 0).toFixed(0);

async function main(): Promise<void> {
  pinBenchToOtherCores();
  const target = await startTarget();
  const peers = [(await startGateway())[0] as Peer, await startProxyChain()];
  try {
    for (const peer of peers) {
      await cpuPerTunnel(peer, target.port);
      const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
      await inParallel(GETS, () => keptAliveGet(peer, target.port, agent));
      agent.destroy();
    }
    const cpu: number[][] = peers.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, peer] of peers.entries()) cpu[i]?.push(await cpuPerTunnel(peer, target.port));
      console.log(
        `round ${round + 1}: ${peers.map((p, i) => `${p.name} ${us(cpu[i]?.[round] ?? NaN)} µs`).join(', ')}`,
      );
    }
    const [gateway, chain] = cpu as [number[], number[]];
    const differences = gateway.map((value, i) => value - (chain[i] as number));
    console.log(
      `CPU per new tunnel, median of ${ROUNDS} rounds of ${TUNNELS} (after ${GETS} kept-alive GETs): ` +
        `${peers[0]?.name} ${us(median(gateway))} µs, ${peers[1]?.name} ${us(median(chain))} µs; ` +
        `paired difference (gateway - proxy-chain) median ${us(median(differences))} µs, ` +
        `range ${us(Math.min(...differences))} to ${us(Math.max(...differences))}; ` +
        `ratio ${(median(gateway) / median(chain)).toFixed(2)}`,
    );
  } finally {
    for (const peer of peers) peer.process.kill();
    target.process.kill();
  }
}

void main().then(() => process.exit(0));
