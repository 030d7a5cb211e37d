// What a new net.Socket costs on this Node, with and without the option-shape warm-up that Node
// 20's V8 needed (the gateway carried it until the move to Node 24): each variant in a fresh
// child process, alternating, so both see the same machine. Prints µs per socket, and the ratio
// of cold to warmed (> 1: the warm-up still pays).
//
//   node tools/bench/socket-constructor.bench.js [rounds=5] [sockets=20000]
// Run it under each Node to compare lines, e.g. /usr/bin/node (20) and .runtime/node-*/bin/node.
const { execFileSync } = require('node:child_process');

const ROUNDS = Number(process.argv[2] ?? 5);
const SOCKETS = Number(process.argv[3] ?? 20000);

// The child: the same construction the gateway makes per tunnel (two option shapes), timed.
const CHILD = `
const { Socket } = require('node:net');
if (process.argv[1] === 'warm') {
  for (let i = 0; i < 500; i++) new Socket({ allowHalfOpen: true }).destroy();
  for (const shape of [{ readable: false }, { writable: false }, { readable: false, writable: false },
    { allowHalfOpen: false, readable: false }, { allowHalfOpen: false, writable: false },
    { allowHalfOpen: false, readable: false, writable: false }]) new Socket(shape).destroy();
}
const n = Number(process.argv[2]);
const started = process.cpuUsage();
for (let i = 0; i < n; i++) {
  new Socket({ allowHalfOpen: true }).destroy();
  new Socket().destroy();
}
const used = process.cpuUsage(started);
process.stdout.write(String((used.user + used.system) / (2 * n)));
`;

const run = (variant) =>
  Number(
    execFileSync(process.execPath, ['-e', CHILD, variant, String(SOCKETS)], { encoding: 'utf8' }),
  );
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

const cold = [];
const warm = [];
for (let round = 0; round < ROUNDS; round++) {
  cold.push(run('cold'));
  warm.push(run('warm'));
}
const fmt = (values) => values.map((v) => v.toFixed(2)).join(' ');
console.log(
  `node ${process.version}: µs of CPU per new net.Socket, ${ROUNDS} rounds of ${SOCKETS}×2`,
);
console.log(`  cold   ${fmt(cold)}  median ${median(cold).toFixed(2)}`);
console.log(`  warmed ${fmt(warm)}  median ${median(warm).toFixed(2)}`);
console.log(`  cold / warmed: ${(median(cold) / median(warm)).toFixed(2)}`);
