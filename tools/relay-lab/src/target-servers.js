'use strict';
// The "internet" end of the chain, run inside the target namespace:
//   node target-servers.js serve <address> <key.pem> <cert.pem>
//     HTTP :80 and HTTPS :443. `/bytes/N` streams N bytes of a fixed pseudo-random stream;
//     anything else answers one JSON line: the path, the TCP peer the server saw, and the TLS
//     server name or Host header the client asked for.
//   node target-servers.js digest <N>
//     the SHA-256 of the first N bytes of that stream, for checking a download.
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const { Readable } = require('node:stream');

// AES-CTR over zeros: every byte depends on its offset, so a reordered, repeated or dropped
// chunk changes the digest (a repeated block pattern would not catch reordering).
const CHUNK = 64 * 1024;
function byteStream(total) {
  const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(CHUNK);
  let left = total;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const size = Math.min(CHUNK, left);
      left -= size;
      this.push(cipher.update(zeros.subarray(0, size)));
    },
  });
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'digest') {
  const hash = crypto.createHash('sha256');
  byteStream(Number(args[0]))
    .on('data', (chunk) => hash.update(chunk))
    .on('end', () => process.stdout.write(`${hash.digest('hex')}\n`));
} else if (mode === 'serve') {
  const [address, keyFile, certFile] = args;
  const answer = (req, res) => {
    const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (bytes) {
      res.setHeader('content-length', bytes[1]);
      return void byteStream(Number(bytes[1])).pipe(res);
    }
    res.end(
      `${JSON.stringify({
        path: req.url,
        client: req.socket.remoteAddress,
        name: req.socket.servername || req.headers.host || null,
      })}\n`,
    );
  };
  const tlsOptions = { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) };
  let listening = 0;
  const ready = () => ++listening === 2 && process.stdout.write('listening\n');
  https.createServer(tlsOptions, answer).listen(443, address, ready);
  http.createServer(answer).listen(80, address, ready);
} else {
  process.stderr.write('usage: target-servers.js serve <address> <key> <cert> | digest <N>\n');
  process.exit(2);
}
