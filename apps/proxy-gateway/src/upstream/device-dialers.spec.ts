import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { deviceProxyDialer, type DeviceProxyProtocol } from './device-proxy';
import { deviceTunnelDialer } from './device-tunnel-dialer';
import { httpConnectProxy } from './http-connect-dialer';
import { socks5Proxy } from './socks5-dialer';

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
    protocol: (p: number): DeviceProxyProtocol =>
      httpConnectProxy({ host: '127.0.0.1', port: p, credentials: null }),
  },
  {
    name: 'SOCKS5',
    answer: socksDevice,
    protocol: (p: number): DeviceProxyProtocol =>
      socks5Proxy({ host: '127.0.0.1', port: p, credentials: null }),
  },
])('the $name device dialers', ({ answer, protocol }) => {
  let server: Server;
  beforeEach(async () => {
    server = await deviceProxy(answer);
  });
  afterEach(() => server.close());

  it("hands the bytes that came with the device's answer to the tunnel's reader", async () => {
    const dial = deviceTunnelDialer(protocol(port(server)), undefined, {
      timeoutMs: 2000,
      pipeline: true,
    });
    const { socket, reader } = await dial().open(TARGET);
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
    const socket = await deviceProxyDialer(protocol(port(server)), 2000)(TARGET);
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
