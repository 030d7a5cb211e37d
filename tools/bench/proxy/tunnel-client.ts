import { request, type Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Peer } from './peers';

function read(socket: Socket, done: (buffer: Buffer) => number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      const length = done(buffer);
      if (length < 0) return;
      socket.off('data', onData);
      socket.pause();
      if (length < buffer.length) socket.unshift(buffer.subarray(length));
      resolve(buffer.subarray(0, length));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed during the handshake')));
    // An explicitly paused socket stays paused when a 'data' listener is added.
    socket.resume();
  });
}

function opened(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** A byte stream to 127.0.0.1:`targetPort`, through `peer` (CONNECT or SOCKS5) or directly;
 * `credentials` (`user:password`) go in a CONNECT's Proxy-Authorization. */
export async function openTunnel(
  peer: Peer | undefined,
  targetPort: number,
  credentials?: string,
): Promise<Socket> {
  if (!peer) return opened(targetPort);
  const socket = await opened(peer.port);
  if (peer.kind === 'http') {
    const auth = credentials
      ? `Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`
      : '';
    socket.write(
      `CONNECT 127.0.0.1:${targetPort} HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\n${auth}\r\n`,
    );
    const head = await read(socket, (b) => {
      const end = b.indexOf('\r\n\r\n');
      return end < 0 ? -1 : end + 4;
    });
    if (!/^HTTP\/1\.[01] 200/.test(head.toString()))
      throw new Error(`CONNECT refused: ${head.toString().split('\r\n')[0]}`);
  } else {
    socket.write(Buffer.from([5, 1, 0]));
    await read(socket, (b) => (b.length >= 2 ? 2 : -1));
    socket.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, targetPort >> 8, targetPort & 0xff]));
    const reply = await read(socket, (b) => (b.length >= 10 ? 10 : -1));
    if (reply[1] !== 0) throw new Error(`SOCKS5 reply ${reply[1]}`);
  }
  socket.resume();
  return socket;
}

/** GET `path` over an open stream; resolves with the body length once all of it arrived. */
export function get(socket: Socket, path: string, close: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    let header = '';
    let body = 0;
    let expected = -1;
    const onData = (chunk: Buffer) => {
      if (expected < 0) {
        header += chunk.toString('latin1');
        const end = header.indexOf('\r\n\r\n');
        if (end < 0) return;
        expected = Number(/content-length: (\d+)/i.exec(header)?.[1] ?? 0);
        body = header.length - end - 4;
      } else body += chunk.length;
      if (body >= expected) {
        socket.off('data', onData);
        resolve(body);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${close ? 'Connection: close\r\n' : ''}\r\n`,
    );
  });
}

/** One plain-HTTP GET over `agent`'s kept-alive connections: through `peer` (an absolute URI)
 * or directly. */
export function keptAliveGet(
  peer: Peer | undefined,
  targetPort: number,
  agent: Agent,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(
      peer
        ? {
            host: '127.0.0.1',
            port: peer.port,
            path: `http://127.0.0.1:${targetPort}/`,
            agent,
            headers: { host: `127.0.0.1:${targetPort}` },
          }
        : { host: '127.0.0.1', port: targetPort, path: '/', agent },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
