import { connect, type Socket } from 'node:net';

/** Resolves with the first `length` bytes the socket receives (or what it had when it closed). */
export function readBytes(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buffer = Buffer.alloc(0);
    const done = () => {
      socket.off('data', onData);
      resolve(buffer);
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length >= length) done();
    };
    socket.on('data', onData);
    socket.once('close', done);
  });
}

export function connected(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The CONNECT request a test writes, with Basic credentials when given. */
export function connectRequest(target: string, credentials?: string): string {
  const auth = credentials
    ? `Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`
    : '';
  return `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`;
}

/** The status line of the proxy's answer (what arrived before its blank line). */
export function answerStatus(socket: Socket): Promise<string> {
  return new Promise<string>((resolve) => {
    let text = '';
    const done = () => {
      socket.off('data', onData);
      resolve(text.split('\r\n')[0] ?? '');
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) done();
    };
    socket.on('data', onData);
    socket.once('close', done);
  });
}

/** An HTTP CONNECT tunnel held open by the test; resolves with the proxy's status line. */
export async function connectTunnel(
  proxyPort: number,
  target: string,
  credentials?: string,
  proxyHost = '127.0.0.1',
): Promise<{ socket: Socket; status: string }> {
  const socket = await connected(proxyPort, proxyHost);
  socket.on('error', () => undefined);
  socket.write(connectRequest(target, credentials));
  return { socket, status: await answerStatus(socket) };
}

/** A SOCKS5 CONNECT by hand, to read the exact reply bytes; resolves with the reply code. */
export async function socks5Connect(
  proxyPort: number,
  address: Buffer,
  port: number,
  credentials?: { username: string; password: string },
  proxyHost = '127.0.0.1',
): Promise<{ socket: Socket; method: number; reply: number | undefined }> {
  const answer = await socks5Request(proxyPort, 1, address, port, credentials, proxyHost);
  return { ...answer, reply: answer.bytes.length >= 10 ? answer.bytes[1] : undefined };
}

/** Any SOCKS5 request by hand (1 CONNECT, 3 UDP ASSOCIATE): the method chosen and the reply. */
export async function socks5Request(
  proxyPort: number,
  command: number,
  address: Buffer,
  port: number,
  credentials?: { username: string; password: string },
  proxyHost = '127.0.0.1',
): Promise<{ socket: Socket; method: number; bytes: Buffer }> {
  const socket = await connected(proxyPort, proxyHost);
  socket.on('error', () => undefined);
  socket.write(Buffer.from(credentials ? [5, 1, 2] : [5, 1, 0]));
  const choice = await readBytes(socket, 2);
  if (choice[1] === 0xff || choice.length < 2)
    return { socket, method: choice[1] ?? -1, bytes: Buffer.alloc(0) };
  if (credentials) {
    const user = Buffer.from(credentials.username);
    const pass = Buffer.from(credentials.password);
    socket.write(
      Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]),
    );
    const status = await readBytes(socket, 2);
    if (status[1] !== 0) return { socket, method: 2, bytes: Buffer.alloc(0) };
  }
  socket.write(
    Buffer.concat([Buffer.from([5, command, 0]), address, Buffer.from([port >> 8, port & 0xff])]),
  );
  return { socket, method: choice[1] ?? -1, bytes: await readBytes(socket, 10) };
}

export const ipv4Address = (ip: string) => Buffer.from([1, ...ip.split('.').map(Number)]);
export const domainAddress = (name: string) =>
  Buffer.concat([Buffer.from([3, name.length]), Buffer.from(name)]);
export const ipv6Address = (bytes: number[]) => Buffer.from([4, ...bytes]);

export function closed(socket: Socket, withinMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
