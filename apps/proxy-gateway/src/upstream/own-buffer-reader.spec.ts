import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { seededRandom } from '@tunnelgate/sessions/testing';
import { OwnBufferReader } from './own-buffer-reader';
import { tcpConnect } from './tcp-connect';

/** A server that writes `bytes` to each connection (all at once, as its socket takes them). */
async function sender(bytes: Buffer, endAfter = true): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(bytes);
    if (endAfter) socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function randomBytes(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function connected(server: Server, reader: OwnBufferReader): Promise<Socket> {
  const socket = await tcpConnect(
    '127.0.0.1',
    (server.address() as AddressInfo).port,
    2000,
    undefined,
    reader,
  );
  socket.on('error', () => undefined);
  return socket;
}

/** Every chunk the sink got, copied (the reader reuses its memory), until the socket ends. */
function collect(
  reader: OwnBufferReader,
  socket: Socket,
  accept: (chunk: Buffer) => boolean = () => true,
): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const ended = new Promise<Buffer[]>((resolve) => socket.once('end', () => resolve(chunks)));
  reader.consume((chunk) => {
    chunks.push(Buffer.from(chunk));
    return accept(chunk);
  });
  return ended;
}

describe('OwnBufferReader', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it('delivers a download whole and in order, in reads that grow from 1 KiB to 64 KiB', async () => {
    const payload = randomBytes(4 * 1024 * 1024, 1);
    servers.push(await sender(payload));
    const reader = new OwnBufferReader();
    const socket = await connected(servers[0] as Server, reader);
    const chunks = await collect(reader, socket);
    socket.destroy();
    expect(digest(Buffer.concat(chunks))).toBe(digest(payload));
    expect(chunks[0]?.length).toBeLessThanOrEqual(1024);
    const largest = Math.max(...chunks.map((c) => c.length));
    expect(largest).toBeGreaterThan(8 * 1024);
    expect(largest).toBeLessThanOrEqual(64 * 1024);
  });

  it('keeps what arrived before a consumer and hands it over first', async () => {
    const banner = Buffer.from('220 mail.example ESMTP ready\r\n');
    servers.push(await sender(banner, false));
    const reader = new OwnBufferReader();
    const socket = await connected(servers[0] as Server, reader);
    // The banner is read (and the socket paused) before anyone consumes it.
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.isPaused()).toBe(true);
    const first = await new Promise<Buffer>((resolve) =>
      reader.consume((chunk) => {
        resolve(Buffer.from(chunk));
        return true;
      }),
    );
    socket.destroy();
    expect(first.toString()).toBe(banner.toString());
  });

  it('pauses while the consumer holds a chunk, loses nothing, and reads on after resume()', async () => {
    const payload = randomBytes(1024 * 1024, 2);
    servers.push(await sender(payload));
    const reader = new OwnBufferReader();
    const socket = await connected(servers[0] as Server, reader);
    let held = 0;
    let pausedEachTime = true;
    const chunks = collect(reader, socket, () => {
      held++;
      // Hand the chunk back later, as a slow client's 'drain' would.
      setImmediate(() => {
        pausedEachTime &&= socket.isPaused();
        socket.resume();
      });
      return false;
    });
    const received = Buffer.concat(await chunks);
    socket.destroy();
    expect(digest(received)).toBe(digest(payload));
    expect(held).toBeGreaterThan(1);
    expect(pausedEachTime).toBe(true);
  });

  it('gives the bytes past a released answer to the next consumer', async () => {
    servers.push(await sender(Buffer.from('HELLO|and the rest')));
    const reader = new OwnBufferReader();
    const socket = await connected(servers[0] as Server, reader);
    const answer = await new Promise<string>((resolve) => {
      let seen = Buffer.alloc(0);
      reader.consume((chunk) => {
        seen = Buffer.concat([seen, chunk]);
        const end = seen.indexOf('|');
        if (end < 0) return true;
        reader.release(seen.subarray(end + 1));
        resolve(seen.subarray(0, end).toString());
        return false;
      });
    });
    const rest = Buffer.concat(await collect(reader, socket)).toString();
    socket.destroy();
    expect(answer).toBe('HELLO');
    expect(rest).toBe('and the rest');
  });
});
