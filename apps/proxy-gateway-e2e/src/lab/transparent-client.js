'use strict';
// A customer's client for the transparent tests, run inside the namespace with a customer's
// source address. Prints one JSON line: what came back, or the error code.
//   banner <host> <port> <from>                      read what the server says first
//   tls <host> <port> <from> <servername> <segments> a GET over TLS whose ClientHello (about 4 KB)
//                                                    goes out in <segments> pieces, 40 ms apart
//   hold <host> <port> <from>                        stay connected; print how it ended
const net = require('node:net');
const tls = require('node:tls');
const { Duplex } = require('node:stream');

const [mode, host, port, from, servername, segments] = process.argv.slice(2);
const done = (result) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
};
const socket = net.connect({ host, port: Number(port), localAddress: from });
socket.setNoDelay(true);
socket.on('error', (error) => done({ error: error.code }));
setTimeout(() => done({ error: 'TIMEOUT' }), 8000).unref();

if (mode === 'banner') socket.once('data', (data) => done({ data: data.toString() }));
if (mode === 'hold') {
  socket.on('connect', () => process.stdout.write('{"connected":true}\n'));
  // Reading (and dropping) what arrives is what lets the end of the connection be seen.
  socket.on('data', () => undefined);
  socket.on('close', () => done({ closed: true }));
}
if (mode === 'tls') {
  // Splits the first flight into pieces with pauses, as a slow network would deliver it.
  let first = true;
  const wire = new Duplex({
    read() {
      // Data is pushed from the socket's 'data' events below.
    },
    write(chunk, _encoding, callback) {
      if (!first) return void socket.write(chunk, callback);
      first = false;
      const size = Math.ceil(chunk.length / Number(segments));
      let at = 0;
      const next = () => {
        socket.write(chunk.subarray(at, at + size));
        at += size;
        if (at < chunk.length) setTimeout(next, 40);
        else callback();
      };
      next();
    },
  });
  socket.on('data', (data) => wire.push(data));
  socket.on('end', () => wire.push(null));
  socket.on('connect', () => {
    const secure = tls.connect({
      socket: wire,
      servername,
      rejectUnauthorized: false,
      ALPNProtocols: [
        'http/1.1',
        ...Array.from({ length: 15 }, (_, i) => `x${i}-${'y'.repeat(240)}`),
      ],
    });
    let body = '';
    secure.on('error', (error) => done({ error: error.code || error.message }));
    secure.on('secureConnect', () =>
      secure.write(`GET /tls HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`),
    );
    secure.on('data', (data) => (body += data.toString()));
    secure.on('end', () => done({ data: body.split('\r\n\r\n')[1] }));
  });
}
