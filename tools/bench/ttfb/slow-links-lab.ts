import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonCurlArgs, Netns, selfSigned, waitFor } from '@tunnelgate/netns-testing';

const ROOT = join(__dirname, '../../..');
/** The shared reference tool (no netem in this kernel): a TUN pair with a userspace delay. */
const DELAYLINE = join(ROOT, '../shared/tools/delayline.py');
const TOKEN = 'ttfb-bench-operator-token-0123456789';

export const ADDRESSES = {
  customer: '10.9.0.6',
  relayCustomerSide: '10.9.0.1',
  relayDeviceSide: '192.168.255.1',
  phone: '192.168.255.2',
  origin: '203.0.113.10',
} as const;

/** What the relay's gateway under test is started with (its ports and its behaviour). */
export interface RelayGatewayOptions {
  deviceProxy: 'http' | 'socks5';
  env: Record<string, string>;
}

export const RELAY_PORTS = { http: 3128, socks5: 1080, transparent: 12345 } as const;

/**
 *   customer ──(delay line, RTTc)── relay ──(delay line, RTTd)── phone ── origin
 * The customer reaches the relay's proxies and, through the relay's REDIRECT, the origin's
 * address; the relay has no route to the origin, so every byte goes through the phone (a
 * gateway in device mode). The origin listens on the phone's side with no delay.
 */
export class SlowLinksLab {
  readonly customer = new Netns();
  readonly relay = new Netns();
  readonly phone = new Netns();
  private readonly dir = mkdtempSync(join(tmpdir(), 'ttfb-bench-'));
  private readonly lines: ChildProcess[] = [];
  private gateway: ChildProcess | undefined;
  /** The end of the relay gateway's output (warnings and errors), to say why a path failed. */
  gatewayLog = '';

  async start(customerRttMs: number, deviceRttMs: number): Promise<this> {
    if (!existsSync(DELAYLINE)) throw new Error(`needs ${DELAYLINE} (the shared delay line)`);
    await this.delayLine(this.customer, 'tunc', this.relay, 'tunr', customerRttMs / 2);
    await this.delayLine(this.relay, 'tunp', this.phone, 'tund', deviceRttMs / 2);
    const { customer, relayCustomerSide, relayDeviceSide, phone, origin } = ADDRESSES;
    this.address(this.customer, 'tunc', customer, relayCustomerSide);
    this.address(this.relay, 'tunr', relayCustomerSide, customer);
    this.address(this.relay, 'tunp', relayDeviceSide, phone);
    this.address(this.phone, 'tund', phone, relayDeviceSide);
    this.customer.exec('ip', ['route', 'add', 'default', 'dev', 'tunc']);
    this.phone.exec('ip', ['addr', 'add', `${origin}/32`, 'dev', 'lo']);
    // The phone resolves the names customers ask for (SNI, Host), as a real one does.
    this.phone.hosts(`127.0.0.1 localhost\n${origin} origin.test\n`);
    // Customers' TCP to anything but the relay itself goes to the transparent listener, as
    // tunnel-api's TG-CLIENTS chain sends an OpenVPN customer's.
    this.relay.exec('iptables', [
      ...['-t', 'nat', '-A', 'PREROUTING', '-i', 'tunr', '-p', 'tcp'],
      ...['!', '-d', relayCustomerSide, '-j', 'REDIRECT', '--to-ports'],
      String(RELAY_PORTS.transparent),
    ]);

    const { key, cert } = selfSigned(['origin.test']);
    writeFileSync(join(this.dir, 'key.pem'), key);
    writeFileSync(join(this.dir, 'cert.pem'), cert);
    const origins = this.phone.spawn('node', [
      join(ROOT, 'apps/proxy-gateway-e2e/src/lab/origin-servers.js'),
      origin,
      join(this.dir, 'key.pem'),
      join(this.dir, 'cert.pem'),
    ]);
    origins.stdout?.resume();
    this.phone.spawn('node', [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      TUNNELGATE_LOG_LEVEL: 'error',
      TUNNELGATE_GATEWAY_MODE: 'device',
      TUNNELGATE_GATEWAY_WORKERS: '1',
      TUNNELGATE_GATEWAY_HTTP_LISTEN: `${phone}:8080`,
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: `${phone}:1080`,
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: '127.0.0.1:9091',
      TUNNELGATE_GATEWAY_DIRECT_ALLOW: `${origin}/32`,
      TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS: '600000',
    });
    writeFileSync(join(this.dir, 'api-token'), TOKEN, { mode: 0o600 });
    this.relay.spawn('node', [join(ROOT, 'dist/apps/tunnel-api/main.js')], {
      TUNNELGATE_LOG_LEVEL: 'error',
      TUNNELGATE_API_TOKEN_FILE: join(this.dir, 'api-token'),
      TUNNELGATE_STORE: `sqlite:${join(this.dir, 'store.db')}`,
      TUNNELGATE_FIREWALL: 'off',
      // The lab's phone sends no heartbeats: it stays online for the whole run.
      TUNNELGATE_DEVICE_OFFLINE_AFTER_MS: '3600000',
    });
    await waitFor(async () => this.answers(this.relay, 'http://127.0.0.1:8081/healthz'), 'API');
    await waitFor(async () => this.answers(this.phone, 'http://127.0.0.1:9091/healthz'), 'phone');
    this.api('PUT', '/v1/devices/phone', {
      name: 'phone',
      vpnIp: phone,
      httpPort: 8080,
      socksPort: 1080,
      basePort: null,
    });
    this.api('POST', '/v1/devices/phone/connected');
    this.api('POST', '/v1/accounts', {
      id: 'alice',
      username: 'alice',
      password: 'correct horse',
      deviceId: 'phone',
    });
    this.api('POST', '/v1/openvpn/connect', {
      username: 'alice',
      commonName: 'alice',
      vpnIp: customer,
      realIp: '198.51.100.9',
      realPort: 50000,
      connectedAt: new Date().toISOString(),
    });
    return this;
  }

  /** Round-trip time of a link, as ping measures it (median of 5). */
  rtt(from: Netns, to: string): number {
    const out = from.exec('ping', ['-c', '5', '-i', '0.2', '-n', to]);
    const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? NaN;
  }

  /** (Re)starts the relay's gateway; resolves with its pid (its CPU is read from /proc). */
  async startGateway(options: RelayGatewayOptions): Promise<number> {
    await this.stopGateway();
    const { relayCustomerSide } = ADDRESSES;
    this.gateway = this.relay.spawn('node', [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      TUNNELGATE_LOG_LEVEL: 'warn',
      // One process: the bench reads the relay gateway's CPU by pid.
      TUNNELGATE_GATEWAY_WORKERS: '1',
      TUNNELGATE_API_TOKEN_FILE: join(this.dir, 'gateway-token'),
      TUNNELGATE_GATEWAY_HTTP_LISTEN: `${relayCustomerSide}:${RELAY_PORTS.http}`,
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: `${relayCustomerSide}:${RELAY_PORTS.socks5}`,
      TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN: `0.0.0.0:${RELAY_PORTS.transparent}`,
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: '127.0.0.1:9092',
      TUNNELGATE_GATEWAY_DEVICE_PROXY: options.deviceProxy,
      TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS: '600000',
      ...options.env,
    });
    this.gatewayLog = '';
    const keep = (chunk: Buffer) =>
      (this.gatewayLog = (this.gatewayLog + chunk.toString()).slice(-20_000));
    this.gateway.stdout?.on('data', keep);
    this.gateway.stderr?.on('data', keep);
    await waitFor(
      async () => this.answers(this.relay, 'http://127.0.0.1:9092/readyz'),
      "the relay's gateway",
    );
    const pid = this.gateway.pid;
    if (pid === undefined) throw new Error('no gateway process');
    return pid;
  }

  async stopGateway(): Promise<void> {
    const gateway = this.gateway;
    if (!gateway || gateway.exitCode !== null || gateway.signalCode !== null) return;
    const exited = new Promise((r) => gateway.once('exit', r));
    gateway.kill('SIGKILL');
    await exited;
  }

  remove(): void {
    for (const line of this.lines) line.kill('SIGKILL');
    for (const ns of [this.customer, this.relay, this.phone]) ns.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async delayLine(a: Netns, devA: string, b: Netns, devB: string, oneWayMs: number) {
    const line = spawn('python3', [DELAYLINE, a.name, devA, b.name, devB, String(oneWayMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.lines.push(line);
    await new Promise<void>((resolve, reject) => {
      line.stdout.once('data', () => resolve());
      line.once('exit', (code) => reject(new Error(`delayline exited with ${code}`)));
    });
  }

  private address(ns: Netns, dev: string, local: string, peer: string): void {
    ns.exec('ip', ['addr', 'add', local, 'peer', peer, 'dev', dev]);
    ns.exec('ip', ['link', 'set', dev, 'up']);
  }

  private answers(ns: Netns, url: string): boolean {
    try {
      ns.exec('curl', ['-s', '-o', '/dev/null', '--max-time', '1', url]);
      return true;
    } catch {
      return false;
    }
  }

  private api(method: string, path: string, body?: unknown): string {
    return this.relay.exec(
      'curl',
      jsonCurlArgs(method, `http://127.0.0.1:8081${path}`, TOKEN, body),
    );
  }
}
