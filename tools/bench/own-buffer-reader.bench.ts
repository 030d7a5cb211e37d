// The relay's download path with and without the upstream's own read buffer
// (apps/proxy-gateway/src/upstream/own-buffer-reader.ts), in alternating rounds in this
// process: the relay's CPU and page faults per GiB. The origin and the receiving client run in a
// child process, so this process's CPU is the relay's alone. Run it on each Node to compare what
// the reader wins there (issue 23 asks whether Node 24 still needs it):
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/own-buffer-reader.bench.ts [rounds=5] [MiB=512]
//   SWC_NODE_PROJECT=tsconfig.base.json /usr/bin/node -r @swc-node/register tools/bench/own-buffer-reader.bench.ts
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { OwnBufferReader } from '../../apps/proxy-gateway/src/upstream/own-buffer-reader';

const ROUNDS = Number(process.argv[2] ?? 5);
const MIB = Number(process.argv[3] ?? 512);
const BYTES = MIB * 1024 * 1024;

type Variant = 'node default' | 'own buffer';

/** The child: an origin that sends `BYTES` to whoever connects, and a sink that counts them. */
function peers(): void {
  const { createServer } = require('node:net') as typeof import('node:net');
  const block = Buffer.alloc(64 * 1024, 7);
  const origin = createServer((socket) => {
    let left = Number(process.env['BYTES']);
    const send = () => {
      while (left > 0) {
        left -= block.length;
        if (!socket.write(block)) return void socket.once('drain', send);
      }
      socket.end();
    };
    send();
  });
  const sink = createServer((socket) => {
    socket.on('data', () => undefined).on('end', () => socket.end());
  });
  origin.listen(0, '127.0.0.1', () =>
    sink.listen(0, '127.0.0.1', () =>
      process.send?.({
        origin: (origin.address() as { port: number }).port,
        sink: (sink.address() as { port: number }).port,
      }),
    ),
  );
}

function connected(port: number, reader?: OwnBufferReader): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ...(reader && { onread: reader.onread }) });
    socket.once('connect', () => resolve(socket)).once('error', reject);
  });
}

/** One download relayed from the origin to the sink, as the gateway's relay legs do. */
async function relay(variant: Variant, ports: { origin: number; sink: number }): Promise<void> {
  const client = await connected(ports.sink);
  const reader = variant === 'own buffer' ? new OwnBufferReader() : undefined;
  const upstream = await connected(ports.origin, reader);
  const done = new Promise<void>((resolve) => client.once('close', () => resolve()));
  upstream.on('end', () => client.end());
  if (reader) {
    reader.socket = upstream;
    const written = () => {
      if (upstream.isPaused()) upstream.resume();
    };
    reader.consume((chunk) => {
      client.write(chunk, written);
      return client.writableLength === 0;
    });
  } else upstream.pipe(client);
  await done;
  upstream.destroy();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

async function main(): Promise<void> {
  if (process.env['OWN_BUFFER_PEERS']) return peers();
  const child: ChildProcess = fork(__filename, [], {
    env: { ...process.env, OWN_BUFFER_PEERS: '1', BYTES: String(BYTES) },
    execArgv: process.execArgv,
  });
  const ports = await new Promise<{ origin: number; sink: number }>((resolve) =>
    child.once('message', (message) => resolve(message as { origin: number; sink: number })),
  );
  const results = new Map<Variant, { cpu: number[]; faults: number[] }>([
    ['node default', { cpu: [], faults: [] }],
    ['own buffer', { cpu: [], faults: [] }],
  ]);
  try {
    for (const variant of results.keys()) await relay(variant, ports); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...results.keys()];
      if (round % 2 === 1) order.reverse();
      for (const variant of order) {
        const before = process.resourceUsage();
        await relay(variant, ports);
        const after = process.resourceUsage();
        const gib = BYTES / 2 ** 30;
        const cpuS =
          (after.userCPUTime + after.systemCPUTime - before.userCPUTime - before.systemCPUTime) /
          1e6;
        results.get(variant)?.cpu.push(cpuS / gib);
        results.get(variant)?.faults.push((after.minorPageFault - before.minorPageFault) / gib);
      }
    }
    console.log(
      `Node ${process.versions.node}: the relay's download path, median of ${ROUNDS} rounds of ${MIB} MiB`,
    );
    for (const [variant, { cpu, faults }] of results)
      console.log(
        `  ${variant.padEnd(12)}  CPU ${median(cpu).toFixed(2)} s/GiB, ${median(faults).toFixed(0)} page faults/GiB`,
      );
    const own = results.get('own buffer') as { cpu: number[] };
    const plain = results.get('node default') as { cpu: number[] };
    console.log(
      `  own buffer / node default: CPU ${(median(own.cpu) / median(plain.cpu)).toFixed(2)}`,
    );
  } finally {
    child.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
