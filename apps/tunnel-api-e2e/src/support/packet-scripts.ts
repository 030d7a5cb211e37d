import type { ChildProcess } from 'node:child_process';

/**
 * Small programs the firewall's packet tests run inside their namespaces (`node -e`), and the
 * wait for what they print.
 */

/** Listens on each port given; prints `listening <port>`, then `accepted <port> from <address>`
 * per connection. Clients reset their connections: the listener outlives each one. */
export const LISTEN = `
const net = require('node:net');
for (const port of process.argv.slice(1).map(Number)) {
  net.createServer((s) => { s.on('error', () => {}); console.log('accepted ' + port + ' from ' + s.remoteAddress); s.end('hi'); }).listen(port, '0.0.0.0', () => console.log('listening ' + port));
}`;

/** Connects from a given source address; prints connected / timeout / the error code. */
export const TCP_CONNECT = `
const net = require('node:net');
const [host, port, localAddress] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), localAddress, timeout: 3000 });
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('timeout', () => { console.log('timeout'); s.destroy(); });
s.on('error', (e) => console.log(e.code));`;

/** Sends UDP twice on a connected socket: an ICMP port unreachable surfaces as ECONNREFUSED. */
export const UDP_SEND = `
const dgram = require('node:dgram');
const [host, port] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const done = (r) => { console.log(r); s.close(); process.exit(0); };
s.on('error', (e) => done(e.code));
s.connect(Number(port), host, () => { s.send('x'); setTimeout(() => s.send('x'), 200); setTimeout(() => done('no answer'), 2000); });`;

/** The first line of `child`'s output that matches, within 5 s. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no line ${pattern} in: ${seen}`)), 5000);
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}
