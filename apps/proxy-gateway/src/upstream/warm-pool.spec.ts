import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { deviceTunnelDialer, tunnelConnection } from './device-tunnel-dialer';
import { httpConnectProxy } from './http-connect-dialer';
import { socks5Proxy } from './socks5-dialer';
import type { DeviceProxyProtocol } from './device-proxy';
import { WarmPool } from './warm-pool';

const TARGET = { host: 'origin.test', port: 443 };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How the device treats one connection's request (what arrived: request and pipelined bytes). */
type Behaviour = (socket: Socket, received: Buffer, acceptedAt: number) => void;

/**
 * A device proxy on a loopback port that misbehaves on purpose (a real phone's proxy is not
 * something a test can make close a pooled socket on cue). It speaks just enough HTTP CONNECT
 * or SOCKS5 to reach the request, then lets `behaviour` answer it.
 */
class FakeDevice {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  /** Every request seen, with the bytes that came with it before any answer. */
  readonly requests: string[] = [];
  accepted = 0;

  constructor(
    private readonly kind: 'http' | 'socks5',
    private behaviour: Behaviour,
  ) {
    this.server = createServer((socket) => this.onConnection(socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  behave(behaviour: Behaviour): void {
    this.behaviour = behaviour;
  }

  get open(): number {
    return this.sockets.filter((s) => !s.destroyed).length;
  }

  protocol(): DeviceProxyProtocol {
    const proxy = { host: '127.0.0.1', port: this.port, credentials: null };
    return this.kind === 'http' ? httpConnectProxy(proxy) : socks5Proxy(proxy);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private onConnection(socket: Socket): void {
    this.accepted++;
    this.sockets.push(socket);
    socket.on('error', () => undefined);
    const acceptedAt = Date.now();
    let buffer = Buffer.alloc(0);
    let greeted = this.kind === 'http';
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!greeted) {
        if (buffer.length < 3) return;
        socket.write(Buffer.from([5, 0]));
        buffer = buffer.subarray(3);
        greeted = true;
      }
      const end = this.kind === 'http' ? buffer.indexOf('\r\n\r\n') + 4 : requestEnd(buffer);
      if (end <= 3) return;
      // Whatever came in the same reads as the request was pipelined behind it.
      setImmediate(() => {
        socket.off('data', onData);
        this.requests.push(buffer.toString('latin1'));
        this.behaviour(socket, buffer.subarray(end), acceptedAt);
      });
    };
    socket.on('data', onData);
  }
}

/** The length of a SOCKS5 CONNECT request with a domain name, or -1. */
function requestEnd(buffer: Buffer): number {
  if (buffer.length < 5) return -1;
  const end = 5 + (buffer[4] ?? 0) + 2;
  return buffer.length >= end ? end : -1;
}

const SUCCESS = { http: 'HTTP/1.1 200 Connection established\r\n\r\n', socks5: '' };
function answerAndEcho(kind: 'http' | 'socks5'): Behaviour {
  return (socket, pipelined) => {
    socket.write(kind === 'http' ? SUCCESS.http : Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]));
    // An origin that echoes: the pipelined bytes first, then whatever follows.
    if (pipelined.length > 0) socket.write(pipelined);
    socket.pipe(socket);
  };
}

/** Reads from a dialed tunnel until `text` has arrived. */
async function readUntil(
  dialed: { reader: { consume(sink: (c: Buffer) => boolean): void } },
  text: string,
) {
  let got = '';
  await new Promise<void>((resolve) =>
    dialed.reader.consume((chunk) => {
      got += chunk.toString();
      if (got.includes(text)) resolve();
      return true;
    }),
  );
  return got;
}

describe.each(['http', 'socks5'] as const)('warm connections to a %s device proxy', (kind) => {
  let device: FakeDevice;
  let pool: WarmPool;
  const dials: string[] = [];

  const dialer = (pipeline = true) =>
    deviceTunnelDialer(device.protocol(), pool, {
      timeoutMs: 2000,
      pipeline,
      onDial: (k) => dials.push(k),
    });

  beforeEach(async () => {
    device = await new FakeDevice(kind, answerAndEcho(kind)).start();
    pool = new WarmPool(tunnelConnection(device.protocol(), 2000), {
      min: 1,
      max: 4,
      idleMs: 2000,
    });
    dials.length = 0;
  });
  afterEach(async () => {
    pool.close();
    await device.close();
  });

  /** A first tunnel (cold: nothing is warm yet) creates the demand that fills the pool. */
  async function warmUp(): Promise<void> {
    const first = await dialer()().open(TARGET, Buffer.from('warm-up'));
    first.socket.destroy();
    for (let i = 0; i < 100 && pool.size === 0; i++) await wait(10);
    expect(pool.size).toBeGreaterThan(0);
  }

  it('sends the first bytes with the request, and a warm connection skips the connect', async () => {
    await warmUp();
    const accepted = device.accepted;
    const dialed = await dialer()().open(TARGET, Buffer.from('hello device'));
    expect(dialed.headSent).toBe(true);
    expect(await readUntil(dialed, 'hello device')).toContain('hello device');
    dialed.socket.destroy();
    // The request and its bytes arrived together, before the device answered.
    expect(device.requests.at(-1)).toContain('hello device');
    expect(dials).toEqual(['cold', 'warm']);
    // Taking it made the pool fetch another; no connect was made for this tunnel itself.
    expect(device.accepted).toBeLessThanOrEqual(accepted + pool.size + 1);
  });

  it("replaces a warm connection the device dropped, without the customer's tunnel failing", async () => {
    await warmUp();
    // From now on the device drops (resets) any connection whose request comes late: the warm
    // ones, as a phone does that timed them out just as our request left.
    device.behave((socket, pipelined, acceptedAt) =>
      Date.now() - acceptedAt > 30
        ? socket.resetAndDestroy()
        : answerAndEcho(kind)(socket, pipelined, acceptedAt),
    );
    await wait(60);
    const dialed = await dialer()().open(TARGET, Buffer.from('still served'));
    expect(await readUntil(dialed, 'still served')).toContain('still served');
    dialed.socket.destroy();
    expect(dials.slice(1)).toEqual(['warm', 'retried']);
  });

  it('replaces a warm connection that answers garbage, and refuses what a fresh one refuses', async () => {
    await warmUp();
    device.behave((socket) => socket.end('SSH-2.0-not a proxy\r\n\r\n'));
    await expect(dialer()().open(TARGET, Buffer.from('x'))).rejects.toMatchObject({
      code: 'PROXY_PROTOCOL',
    });
    // Warm, then retried fresh: both answered garbage, and the customer gets the refusal.
    expect(dials.slice(1)).toEqual(['warm', 'retried']);
  });

  it('survives a warm connection reset while it waits for its destination (a peek)', async () => {
    await warmUp();
    const prepared = dialer()();
    // The device resets every connection it holds, the taken one included, before the request.
    for (const socket of device.sockets) socket.resetAndDestroy();
    await wait(50);
    const dialed = await prepared.open(TARGET, Buffer.from('after a reset'));
    expect(await readUntil(dialed, 'after a reset')).toContain('after a reset');
    dialed.socket.destroy();
    expect(dials.slice(1)).toEqual(['warm', 'retried']);
  });

  it('does not retry a refusal: the device said no', async () => {
    await warmUp();
    device.behave((socket) =>
      socket.end(
        kind === 'http'
          ? 'HTTP/1.1 403 Forbidden\r\n\r\n'
          : Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]),
      ),
    );
    await expect(dialer()().open(TARGET)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(dials.slice(1)).toEqual(['warm']);
  });

  it('drops a warm connection the device closes or talks on while it waits', async () => {
    await warmUp();
    const parked = device.sockets.filter((s) => !s.destroyed);
    expect(parked.length).toBeGreaterThan(0);
    for (const [i, socket] of parked.entries())
      if (i % 2 === 0) socket.end();
      else socket.write('stray bytes');
    // The pool closed each of them at once (its side of each is gone)...
    for (let i = 0; i < 100 && !parked.every((s) => s.destroyed); i++) await wait(10);
    expect(parked.every((s) => s.destroyed)).toBe(true);
    // ...and the next tunnel gets a fresh warm one that works.
    for (let i = 0; i < 100 && pool.size === 0; i++) await wait(10);
    const dialed = await dialer()().open(TARGET, Buffer.from('after the drop'));
    expect(await readUntil(dialed, 'after the drop')).toContain('after the drop');
    dialed.socket.destroy();
    expect(dials.at(-1)).toBe('warm');
  });

  it('closes every warm connection when the pool closes (the device went offline)', async () => {
    await warmUp();
    pool.close();
    for (let i = 0; i < 100 && device.open > 0; i++) await wait(10);
    expect(device.open).toBe(0);
    // And makes no more, whatever the demand.
    pool.take();
    await wait(50);
    expect(device.open).toBe(0);
  });

  it('hands out one warm connection per take, and loses none', async () => {
    pool.close();
    pool = new WarmPool(tunnelConnection(device.protocol(), 2000), {
      min: 3,
      max: 4,
      idleMs: 2000,
    });
    expect(pool.take()).toBeUndefined();
    for (let i = 0; i < 100 && pool.size < 3; i++) await wait(10);
    expect(pool.size).toBe(3);
    const taken = pool.take();
    expect(taken?.socket.destroyed).toBe(false);
    // One left the pool; the other two still wait in it, open.
    expect(pool.size).toBe(2);
    taken?.socket.destroy();
  });

  it('closes warm connections unused for idleMs, and makes none without demand', async () => {
    pool.close();
    pool = new WarmPool(tunnelConnection(device.protocol(), 2000), { min: 2, max: 4, idleMs: 100 });
    expect(pool.take()).toBeUndefined();
    for (let i = 0; i < 100 && pool.size < 2; i++) await wait(10);
    expect(pool.size).toBe(2);
    // Replaced as they expire while the demand lasts: still two, on new connections.
    const accepted = device.accepted;
    await wait(250);
    expect(pool.size).toBe(2);
    expect(device.accepted).toBeGreaterThan(accepted);
  });

  it('gives back a connection made ready and not used (a peek that refused)', async () => {
    await warmUp();
    const size = pool.size;
    const prepared = dialer()();
    expect(pool.size).toBeLessThanOrEqual(size);
    prepared.abandon();
    for (let i = 0; i < 100 && pool.size < size; i++) await wait(10);
    expect(pool.size).toBeGreaterThanOrEqual(size);
  });

  it('without pipelining, leaves the first bytes to the caller', async () => {
    const dialed = await dialer(false)().open(TARGET, Buffer.from('later'));
    expect(dialed.headSent).toBe(false);
    dialed.socket.destroy();
    expect(device.requests.at(-1)).not.toContain('later');
  });
});
