import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ClientTunnel } from '../connections/tunnel';
import { AccessLog } from './access-log';

/** A finished tunnel over a real socket pair, with what the listeners record. */
async function finishedTunnel(): Promise<{ tunnel: ClientTunnel; close: () => void }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  const socket = await accepted;
  const tunnel = new ClientTunnel(7, 'http', socket);
  tunnel.clientAddress = `${socket.remoteAddress}:${socket.remotePort}`;
  tunnel.accountId = 'acc-1';
  tunnel.deviceId = 'dev-1';
  tunnel.target = 'example.com:443';
  tunnel.outcome = 'tunnel';
  return {
    tunnel,
    close: () => {
      client.destroy();
      socket.destroy();
      server.close();
    },
  };
}

describe('the access log', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'access-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per tunnel, creating its directory', async () => {
    const path = join(dir, 'logs', 'access.log');
    const log = new AccessLog(path, 'relay-a-w0', new Registry(), () => undefined);
    const { tunnel, close } = await finishedTunnel();
    log.tunnel(tunnel);
    log.tunnel(tunnel);
    close();
    await log.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      kind: 'tunnel',
      connection: 'relay-a-w0:7',
      listener: 'http',
      client: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      account: 'acc-1',
      device: 'dev-1',
      target: 'example.com:443',
      outcome: 'tunnel',
      reason: null,
    });
  });

  it('drops and counts lines while its sink is stalled, without blocking the event loop', async () => {
    const fifo = join(dir, 'stalled');
    execFileSync('mkfifo', [fifo]);
    // A reader that never reads: the pipe fills (64 KiB) and the writes wait on the thread pool.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const registry = new Registry();
    const warnings: unknown[] = [];
    const log = new AccessLog(
      fifo,
      'relay-a',
      registry,
      (entry) => warnings.push(entry),
      64 * 1024,
    );
    const { tunnel, close } = await finishedTunnel();
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100; i++) log.tunnel(tunnel);
      // The loop turns between rounds: nothing here waits for the sink.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const metrics = await registry.metrics();
    const count = (result: string) =>
      Number(new RegExp(`result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
    expect(count('dropped')).toBeGreaterThan(0);
    expect(count('written') + count('dropped')).toBe(4000);
    closeSync(reader);
    close();
    await log.close();
  });

  it('writes nothing when off', async () => {
    const registry = new Registry();
    const log = new AccessLog(undefined, 'relay-a', registry, () => undefined);
    const { tunnel, close } = await finishedTunnel();
    log.tunnel(tunnel);
    close();
    await log.close();
    expect(readdirSync(dir)).toEqual([]);
    expect(await registry.metrics()).toMatch(/result="written"\} 0/);
  });
});
