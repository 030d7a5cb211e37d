'use strict';
// Sends one datagram from inside a customer namespace and says what came of it:
//   node udp-probe.js <host> <port>  →  {"outcome":"refused"|"answered"|"silent"}
// "refused" is an ICMP port unreachable (the kernel reports it on the connected socket);
// "silent" means nothing came back within 2 s (a DROP, or a packet that left and got lost).
const dgram = require('node:dgram');

const [host, port] = process.argv.slice(2);
const socket = dgram.createSocket('udp4');
const done = (outcome, detail) => {
  process.stdout.write(`${JSON.stringify({ outcome, detail })}\n`);
  process.exit(0);
};
socket.on('error', (error) =>
  done(error.code === 'ECONNREFUSED' ? 'refused' : 'error', error.code),
);
socket.on('message', () => done('answered'));
socket.connect(Number(port), host, () => {
  // A DNS query for example.com (id 0x7467), or any bytes for other ports: content is irrelevant
  // to the firewall, only the 5-tuple is.
  socket.send(Buffer.from('746701000001000000000000076578616d706c6503636f6d0000010001', 'hex'));
  setTimeout(() => done('silent'), 2000);
});
