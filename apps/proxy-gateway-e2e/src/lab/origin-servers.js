'use strict';
// Origin servers for the transparent tests, run inside the test's namespace:
//   node origin-servers.js <address> <key.pem> <cert.pem>
// HTTPS on :443 and HTTP on :80 answer "hello from <path> (<servername>)"; :25, :2525 and :2526 speak
// first with an SMTP-like banner and then echo.
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');

const [address, keyFile, certFile] = process.argv.slice(2);
const answer = (req, res) =>
  res.end(`hello from ${req.url} (${req.socket.servername || req.headers.host || '-'})`);
https
  .createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, answer)
  .listen(443, address);
http.createServer(answer).listen(80, address);
for (const port of [25, 2525, 2526]) {
  net
    .createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write(`220 banner on ${port}\r\n`);
      socket.pipe(socket);
    })
    .listen(port, address);
}
process.stdout.write('listening\n');
