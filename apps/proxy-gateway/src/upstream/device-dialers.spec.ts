import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Dialer } from './dialer';
import { httpConnectDialer } from './http-connect-dialer';
import { OwnBufferReader } from './own-buffer-reader';
import { socks5Dialer } from './socks5-dialer';

const TARGET = { host: 'origin.test', port: 443 };
const FIRST_BYTES = 'server speaks first';

/**
 * A device proxy that answers the handshake and, in the same write, the origin's first bytes
 * (as a proxy whose origin speaks first can), then ends.
 */
async function deviceProxy(answer: (socket: Socket) => void): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    answer(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function httpDevice(socket: Socket): void {
  socket.once('data', () =>
    socket.end(`HTTP/1.1 200 Connection established\r\n\r\n${FIRST_BYTES}`),
  );
}

function socksDevice(socket: Socket): void {
  socket.once('data', () => {
    socket.write(Buffer.from([5, 0]));
    socket.once('data', () =>
      socket.end(
        Buffer.concat([Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]), Buffer.from(FIRST_BYTES)]),
      ),
    );
  });
}

const port = (server: Server) => (server.address() as AddressInfo).port;

describe.each([
  {
    name: 'HTTP CONNECT',
    answer: httpDevice,
    dialer: (p: number): Dialer =>
      httpConnectDialer({ host: '127.0.0.1', port: p, credentials: null }, 2000),
  },
  {
    name: 'SOCKS5',
    answer: socksDevice,
    dialer: (p: number): Dialer =>
      socks5Dialer({ host: '127.0.0.1', port: p, credentials: null }, 2000),
  },
])('the $name device dialer', ({ answer, dialer }) => {
  let server: Server;
  beforeEach(async () => {
    server = await deviceProxy(answer);
  });
  afterEach(() => server.close());

  it("hands the bytes that came with the device's answer to the tunnel's reader", async () => {
    const reader = new OwnBufferReader();
    const socket = await dialer(port(server))(TARGET, reader);
    const received: Buffer[] = [];
    await new Promise<void>((resolve) => {
      socket.once('end', resolve);
      reader.consume((chunk) => {
        received.push(Buffer.from(chunk));
        return true;
      });
    });
    socket.destroy();
    expect(Buffer.concat(received).toString()).toBe(FIRST_BYTES);
  });

  it("puts them back on the socket for a reader of 'data' events (the forwarding agent)", async () => {
    const socket = await dialer(port(server))(TARGET);
    let received = '';
    await new Promise<void>((resolve) => {
      socket.once('end', resolve);
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      // Dialers hand sockets over paused: no byte goes out before its reader is there.
      socket.resume();
    });
    socket.destroy();
    expect(received).toBe(FIRST_BYTES);
  });
});
