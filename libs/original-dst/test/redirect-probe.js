'use strict';
// Runs inside the test's network namespace: listens on a dual-stack port, connects to each
// address:port given, and prints what originalDestination() says about each accepted socket.
const net = require('node:net');
const { originalDestination } = require('..');

const targets = process.argv.slice(3);
const results = [];
const server = net.createServer((socket) => {
  try {
    results.push({ client: socket.remoteAddress, ...originalDestination(socket) });
  } catch (error) {
    results.push({ client: socket.remoteAddress, error: error.code });
  }
  socket.destroy();
  if (results.length === targets.length) {
    process.stdout.write(JSON.stringify(results));
    server.close();
  }
});
server.listen(Number(process.argv[2]), '::', () => {
  for (const target of targets) {
    const at = target.lastIndexOf(':');
    net.connect(Number(target.slice(at + 1)), target.slice(0, at)).on('error', () => undefined);
  }
});
