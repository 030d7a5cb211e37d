'use strict';
// The customer of the TTFB bench, run in its namespace:
//   node customer.js <path> <count> <relay> <origin> <user:password> [parallel=1]
// Opens `count` new connections along `path`, one after another (or `parallel` at a time, with
// no pause) and prints, as JSON, the time from connect() to the first byte of the origin's
// answer for each:
//   http-connect  HTTP CONNECT through the relay's HTTP proxy, then a GET
//   socks5        SOCKS5 with username/password through the relay, then a GET
//   transparent   straight to the origin's port 80 (the relay REDIRECTs it), a GET at once
//   silent        straight to the origin's port 2525, which speaks first; the client waits
const net = require('node:net');

const [path, countText, relay, origin, credentials, parallelText = '1'] = process.argv.slice(2);
const [user, password] = credentials.split(':');
const GET = `GET /ttfb HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n`;

/** Resolves with the next chunk of at least `length` bytes (or whatever came before close). */
function read(socket, length) {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(buffer);
    };
    const onClose = () => reject(new Error(`closed after ${buffer.length} bytes`));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

function connected(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function httpConnect() {
  const socket = await connected(relay, 3128);
  const auth = Buffer.from(credentials).toString('base64');
  socket.write(
    `CONNECT ${origin}:80 HTTP/1.1\r\nHost: ${origin}:80\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`,
  );
  const head = (await read(socket, 12)).toString('latin1');
  if (!head.startsWith('HTTP/1.1 200')) throw new Error(head.split('\r\n')[0]);
  socket.write(GET);
  return socket;
}

async function socks5() {
  const socket = await connected(relay, 1080);
  socket.write(Buffer.from([5, 1, 2]));
  await read(socket, 2);
  const u = Buffer.from(user);
  const p = Buffer.from(password);
  socket.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
  const status = await read(socket, 2);
  if (status[1] !== 0) throw new Error('SOCKS5 authentication refused');
  const address = origin.split('.').map(Number);
  socket.write(Buffer.from([5, 1, 0, 1, ...address, 0, 80]));
  const reply = await read(socket, 10);
  if (reply[1] !== 0) throw new Error(`SOCKS5 reply ${reply[1]}`);
  socket.write(GET);
  return socket;
}

async function transparent() {
  const socket = await connected(origin, 80);
  socket.write(GET);
  return socket;
}

async function silent() {
  return connected(origin, 2525);
}

const opens = { 'http-connect': httpConnect, socks5, transparent, silent };

async function main() {
  const samples = [];
  const failures = [];
  const parallel = Number(parallelText);
  let next = 0;
  const worker = async () => {
    while (next++ < Number(countText)) {
      const t0 = performance.now();
      try {
        const socket = await opens[path]();
        await read(socket, 1);
        samples.push(performance.now() - t0);
        socket.destroy();
      } catch (error) {
        failures.push(error.message);
      }
      // One at a time: apart, so that one sample's close does not overlap the next one's open.
      if (parallel === 1) await new Promise((r) => setTimeout(r, 50));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  process.stdout.write(`${JSON.stringify({ samples, failures })}\n`);
}

void main();
