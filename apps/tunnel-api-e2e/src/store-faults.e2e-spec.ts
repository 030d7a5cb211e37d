import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnRedisServer, waitFor } from '@tunnelgate/netns-testing';

const MAIN = join(__dirname, '../../../dist/apps/tunnel-api/main.js');
const TOKEN = 'store-faults-token-0123456789abcdef';

/** The real tunnel-api, firewall off, on the store `store`; its output kept. */
class Api {
  output = '';
  readonly child: ChildProcess;
  readonly url: string;

  constructor(dir: string, store: string, port: number, env: Record<string, string> = {}) {
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_API_LISTEN: `127.0.0.1:${port}`,
        TUNNELGATE_STORE: store,
        TUNNELGATE_API_TOKEN_FILE: join(dir, 'api-token'),
        TUNNELGATE_FIREWALL: 'off',
        TUNNELGATE_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr])
      stream?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  exited(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async ready(): Promise<void> {
    await waitFor(async () => (await fetch(`${this.url}/readyz`)).ok, 'tunnel-api ready');
  }

  async call(method: string, path: string, body?: unknown) {
    const started = Date.now();
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as unknown, ms: Date.now() - started };
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const exited = this.exited();
    this.child.kill(signal);
    await exited;
  }
}

/** Issue 20, honest health: what tunnel-api says when its store fails or cannot be trusted. */
describe('tunnel-api and a failing store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-store-faults-'));
    writeFileSync(join(dir, 'api-token'), `${TOKEN}\n`, { mode: 0o600 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second tunnel-api on the same SQLite file, saying which holds it', async () => {
    const store = `sqlite:${join(dir, 'store.db')}`;
    const first = new Api(dir, store, await freePort());
    await first.ready();
    const second = new Api(dir, store, await freePort());
    expect(await second.exited()).toBe(1);
    expect(second.output).toMatch(
      new RegExp(`is open in another tunnel-api \\(pid ${first.child.pid}\\): stop it first`),
    );
    // A lock left by a process that died is taken over.
    await first.stop('SIGKILL');
    const third = new Api(dir, store, await freePort());
    await third.ready();
    await third.stop();
  }, 30_000);

  it('refuses to start on a database with a corrupt page, and says what to do', async () => {
    const path = join(dir, 'store.db');
    const api = new Api(dir, `sqlite:${path}`, await freePort());
    await api.ready();
    for (let i = 0; i < 200; i++)
      await api.call('POST', '/v1/accounts', {
        username: `user${i}`,
        password: 'a long enough password',
        deviceId: 'phone',
      });
    await api.stop();
    // One page in the middle of the file overwritten, as a failing disk would.
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(size / 4096 / 2) * 4096);
    closeSync(fd);
    const corrupt = new Api(dir, `sqlite:${path}`, await freePort());
    expect(await corrupt.exited()).toBe(1);
    expect(corrupt.output).toMatch(/failed SQLite's integrity check .*restore it from a backup/);
  }, 60_000);

  it('answers 503 with a code, within the hook budget, while Redis hangs; ready again after', async () => {
    const port = await freePort();
    const redis = await spawnRedisServer(port);
    try {
      const api = new Api(dir, `redis://127.0.0.1:${port}/0`, await freePort());
      await api.ready();
      expect(
        (await api.call('PUT', '/v1/devices/phone', { name: 'p', vpnIp: '192.168.255.2' })).status,
      ).toBe(200);
      redis.kill('SIGSTOP');
      try {
        const ready = await fetch(`${api.url}/readyz`);
        expect(ready.status).toBe(503);
        const connect = await api.call('POST', '/v1/openvpn/connect', {
          username: 'nobody',
          commonName: 'nobody',
          vpnIp: '10.9.0.9',
          realIp: '203.0.113.9',
          realPort: 40000,
          connectedAt: '2026-01-01T00:00:00.000Z',
        });
        expect(connect.status).toBe(503);
        expect(connect.body).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
        // Inside the 5 s a hook gives one attempt (it was 5.3 s, then a 500).
        expect(connect.ms).toBeLessThan(4000);
      } finally {
        redis.kill('SIGCONT');
      }
      await api.ready();
      await api.stop();
    } finally {
      redis.kill('SIGKILL');
    }
  }, 60_000);

  it('prunes closed sessions past the retention, and never an active one (issue 20)', async () => {
    const api = new Api(dir, `sqlite:${join(dir, 'store.db')}`, await freePort(), {
      TUNNELGATE_SESSION_RETENTION_MS: '1500',
    });
    await api.ready();
    await api.call('PUT', '/v1/devices/phone', { name: 'p', vpnIp: '192.168.255.2' });
    await api.call('POST', '/v1/devices/phone/connected');
    await api.call('POST', '/v1/accounts', {
      username: 'kept',
      password: 'a long enough password',
      deviceId: 'phone',
    });
    const session = (vpnIp: string, second: number) => ({
      username: 'kept',
      commonName: 'kept',
      vpnIp,
      connectedAt: `2026-01-01T00:00:0${second}.000Z`,
    });
    const closed = await api.call('POST', '/v1/openvpn/connect', {
      ...session('10.9.0.5', 1),
      realIp: '203.0.113.9',
      realPort: 40000,
    });
    const active = await api.call('POST', '/v1/openvpn/connect', {
      ...session('10.9.0.6', 2),
      realIp: '203.0.113.9',
      realPort: 40001,
    });
    await api.call('POST', '/v1/openvpn/disconnect', {
      ...session('10.9.0.5', 1),
      bytesReceived: 1,
      bytesSent: 2,
      durationSeconds: 3,
    });
    const id = (answer: { body: unknown }) => (answer.body as { sessionId: string }).sessionId;
    expect((await api.call('GET', `/v1/sessions/${id(closed)}`)).status).toBe(200);
    await waitFor(
      async () => (await api.call('GET', `/v1/sessions/${id(closed)}`)).status === 404,
      'the closed session pruned',
    );
    expect((await api.call('GET', `/v1/sessions/${id(active)}`)).body).toMatchObject({
      state: 'active',
    });
    await api.stop();
  }, 30_000);
});
