import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnRedisServer, waitFor } from '@tunnelgate/netns-testing';

const ROOT = join(__dirname, '../../..');
const TOKEN = 'usage-bench-operator-token-0123456789';
export const PASSWORD = 'correct horse battery';

function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
}

async function stopped(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child) return;
  const done = exited(child);
  child.kill(signal);
  await done;
}

/** One relay: the built tunnel-api and proxy-gateway (relay mode), as separate processes. */
export class Relay {
  readonly dir: string;
  apiUrl = '';
  apiPort = 0;
  httpPort = 0;
  adminPort = 0;
  private api: ChildProcess | undefined;
  private gateway: ChildProcess | undefined;

  constructor(
    parent: string,
    readonly name: string,
    private readonly storeUrl: string,
    private readonly gatewayEnv: Record<string, string>,
  ) {
    this.dir = join(parent, name);
    mkdirSync(this.dir);
    writeFileSync(join(this.dir, 'api-token'), TOKEN, { mode: 0o600 });
  }

  async start(): Promise<this> {
    [this.apiPort, this.httpPort, this.adminPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    this.apiUrl = `http://127.0.0.1:${this.apiPort}`;
    await this.startApi();
    this.gateway = spawn(process.execPath, [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_API_URL: this.apiUrl,
        TUNNELGATE_API_TOKEN_FILE: join(this.dir, 'gateway-token'),
        TUNNELGATE_GATEWAY_ID: this.name,
        // One process per relay: the bench SIGKILLs a relay's gateway by pid.
        TUNNELGATE_GATEWAY_WORKERS: '1',
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.1:${this.httpPort}`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
        TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN: 'off',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${this.adminPort}`,
        TUNNELGATE_LOG_LEVEL: 'error',
        ...this.gatewayEnv,
      },
      stdio: 'ignore',
    });
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${this.adminPort}/readyz`)).ok,
      `${this.name}'s gateway`,
    );
    return this;
  }

  /** tunnel-api on its port (again, after a crash: the gateway knows only that address). */
  async startApi(): Promise<void> {
    this.api = spawn(process.execPath, [join(ROOT, 'dist/apps/tunnel-api/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_API_LISTEN: `127.0.0.1:${this.apiPort}`,
        TUNNELGATE_STORE: this.storeUrl,
        TUNNELGATE_API_TOKEN_FILE: join(this.dir, 'api-token'),
        TUNNELGATE_FIREWALL: 'off',
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
    await waitFor(async () => (await fetch(`${this.apiUrl}/readyz`)).ok, `${this.name}'s API`);
  }

  crashApi(): Promise<void> {
    return stopped(this.api, 'SIGKILL');
  }

  crashGateway(): Promise<void> {
    return stopped(this.gateway, 'SIGKILL');
  }

  async call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /** The sum of a counter's series in one of this relay's `/metrics` (gateway or tunnel-api). */
  async counter(name: string, of: 'gateway' | 'api'): Promise<number> {
    const url =
      of === 'gateway' ? `http://127.0.0.1:${this.adminPort}/metrics` : `${this.apiUrl}/metrics`;
    const text = await (await fetch(url)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  async stop(): Promise<void> {
    await stopped(this.gateway, 'SIGTERM');
    await stopped(this.api, 'SIGTERM');
  }
}

/**
 * Relays sharing one real Redis (persistent: stopping it is an outage, not a loss), and one
 * phone: a gateway in device mode on 127.0.0.2 reaching the origin on 127.0.0.1.
 */
export class RelayLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'usage-bench-'));
  readonly relays: Relay[] = [];
  redisPort = 0;
  private redis: ChildProcess | undefined;
  private phone: ChildProcess | undefined;
  private heartbeats: NodeJS.Timeout | undefined;

  async start(relays: number, gatewayEnv: Record<string, string> = {}): Promise<this> {
    this.redisPort = await freePort();
    await this.startRedis();
    for (let i = 0; i < relays; i++) await this.addRelay(gatewayEnv);
    const [phoneHttp, phoneAdmin] = [await freePort(), await freePort()];
    this.phone = spawn(process.execPath, [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_GATEWAY_MODE: 'device',
        TUNNELGATE_GATEWAY_WORKERS: '1',
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.2:${phoneHttp}`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${phoneAdmin}`,
        TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${phoneAdmin}/readyz`)).ok,
      'the phone',
    );
    const first = this.first;
    await first.call('PUT', '/v1/devices/phone', {
      name: 'bench phone',
      vpnIp: '127.0.0.2',
      httpPort: phoneHttp,
      socksPort: phoneHttp,
      basePort: null,
    });
    await first.call('POST', '/v1/devices/phone/connected');
    // As a phone does: without heartbeats tunnel-api takes it offline.
    this.heartbeats = setInterval(
      () => void first.call('POST', '/v1/devices/phone/heartbeat').catch(() => undefined),
      10_000,
    );
    return this;
  }

  /** One more relay on the same store; `gatewayEnv`: more of its gateway's variables. */
  async addRelay(gatewayEnv: Record<string, string> = {}): Promise<Relay> {
    const name = `relay-${this.relays.length}`;
    const store = `redis://127.0.0.1:${this.redisPort}/0`;
    const relay = await new Relay(this.dir, name, store, gatewayEnv).start();
    this.relays.push(relay);
    return relay;
  }

  private async startRedis(): Promise<void> {
    this.redis = await spawnRedisServer(this.redisPort, this.dir);
  }

  /** Redis stopped (SIGTERM) for `ms`, then started again from its append-only file. */
  async redisOutage(ms: number): Promise<void> {
    await stopped(this.redis, 'SIGTERM');
    await new Promise((r) => setTimeout(r, ms));
    await this.startRedis();
  }

  /** Commands Redis has processed since it (last) started. */
  redisCommands(): number {
    const info = execFileSync('redis-cli', ['-p', String(this.redisPort), 'info', 'stats']);
    return Number(/total_commands_processed:(\d+)/.exec(info.toString())?.[1]);
  }

  /** An HTTP account on the phone; waits until every relay's gateway knows it. */
  async account(id: string, fields: Record<string, unknown> = {}): Promise<void> {
    await this.first.call('POST', '/v1/accounts', {
      id,
      username: id,
      password: PASSWORD,
      deviceId: 'phone',
      protocols: ['http'],
      ...fields,
    });
    // A gateway learns accounts from its watch; a login it does not know yet would be refused.
    await new Promise((r) => setTimeout(r, 500));
  }

  /** The relay operators talk to (any would do: they share the store). */
  get first(): Relay {
    const [first] = this.relays;
    if (!first) throw new Error('no relay started');
    return first;
  }

  async usedBytes(id: string): Promise<number> {
    return Number((await this.first.call('GET', `/v1/accounts/${id}/usage`))['usedBytes']);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeats);
    for (const relay of this.relays) await relay.stop();
    await stopped(this.phone, 'SIGTERM');
    await stopped(this.redis, 'SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
