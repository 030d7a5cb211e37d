// A reconnect storm of OpenVPN customers on the real parts (root), in script or management mode:
// the bench (tools/bench/openvpn-storm.bench.ts) reports it, an e2e test holds management mode to
// it. See the bench for what is measured.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  jsonCurlArgs,
  link,
  makeOpenvpnPki,
  Netns,
  openvpnClientArgs,
  waitFor,
} from '@tunnelgate/netns-testing';

const ROOT = join(__dirname, '../../..');
const HOOK = join(ROOT, 'dist/apps/hook-cli/main.js');
const TOKEN = 'storm-bench-operator-token-0123456789';
const PASSWORD = 'storm password 1';

export type Mode = 'script' | 'management';

class Output {
  text = '';
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.text += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.text += d.toString()));
  }
}

export interface StormOptions {
  /** tunnel-api is frozen (SIGSTOP) as the storm starts, and goes on after this long. */
  apiOutageMs?: number;
}

/** One storm of `clients` customers on a fresh relay; what the connected customer saw. */
export async function storm(mode: Mode, clients: number, options: StormOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), `tg-storm-${mode}-`));
  for (const sub of ['run', 'tmp']) mkdirSync(join(dir, sub), { mode: 0o1777 });
  makeOpenvpnPki(dir);
  writeFileSync(join(dir, 'api-token'), `${TOKEN}\n`, { mode: 0o600 });
  const relay = new Netns();
  const steady = new Netns();
  const crowd = new Netns();
  link(relay, 'v0', '192.0.2.1/24', steady, 'v1', '192.0.2.2/24');
  link(relay, 'v2', '192.0.3.1/24', crowd, 'v3', '192.0.3.2/24');
  const processes: Output[] = [];
  // OpenVPN's one thread gets core 0 to itself (its script hooks inherit it), everything else
  // shares core 1: a relay node has cores to spare, and the customers' 50 clients, which run on
  // their own machines in reality, would otherwise take OpenVPN's CPU here.
  const spawnIn = (
    ns: Netns,
    file: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
    core = file === 'openvpn' && ns === relay ? '0' : '1',
  ) => {
    const out = new Output(ns.spawn('taskset', ['-c', core, file, ...args], env));
    processes.push(out);
    return out;
  };
  try {
    const tunnelApi = spawnIn(
      relay,
      process.execPath,
      [join(ROOT, 'dist/apps/tunnel-api/main.js')],
      {
        TUNNELGATE_API_TOKEN_FILE: join(dir, 'api-token'),
        TUNNELGATE_STORE: `sqlite:${join(dir, 'store.db')}`,
        TUNNELGATE_CUSTOMER_SUBNET: '10.9.0.0/24',
        TUNNELGATE_FIREWALL: 'iptables',
        TUNNELGATE_LOG_LEVEL: 'warn',
        // Enough for the whole storm: one guess-free login per customer.
        TUNNELGATE_LOGIN_FAILURES_PER_IP: '100000',
      },
    );
    const api = (method: string, path: string, body?: unknown) =>
      JSON.parse(
        relay.exec('curl', jsonCurlArgs(method, `http://127.0.0.1:8081${path}`, TOKEN, body)) ||
          'null',
      ) as unknown;
    await waitFor(async () => {
      try {
        return (api('GET', '/readyz') as { status?: string })?.status === 'ready';
      } catch {
        return false;
      }
    }, 'tunnel-api');
    api('PUT', '/v1/devices/phone', { name: 'phone', vpnIp: '192.168.255.2' });
    api('POST', '/v1/devices/phone/connected');
    for (let i = 0; i <= clients; i++)
      api('POST', '/v1/accounts', { username: `c${i}`, password: PASSWORD, deviceId: 'phone' });
    const config = execFileSync(process.execPath, [HOOK, 'server-config'], {
      env: {
        TUNNELGATE_OPENVPN_TEMPLATE: join(ROOT, 'deployments/openvpn/server.conf.template'),
        TUNNELGATE_OPENVPN_CONTROL: mode,
        TUNNELGATE_OPENVPN_CA_FILE: join(dir, 'ca.crt'),
        TUNNELGATE_OPENVPN_CERT_FILE: join(dir, 'server.crt'),
        TUNNELGATE_OPENVPN_KEY_FILE: join(dir, 'server.key'),
        TUNNELGATE_API_TOKEN_FILE: join(dir, 'api-token'),
        TUNNELGATE_OPENVPN_RUN_DIR: join(dir, 'run'),
        TUNNELGATE_OPENVPN_TMP_DIR: join(dir, 'tmp'),
        TUNNELGATE_OPENVPN_USER: 'root',
        TUNNELGATE_OPENVPN_GROUP: 'root',
      },
      encoding: 'utf8',
    });
    writeFileSync(join(dir, 'server.conf'), config);
    const server = spawnIn(relay, 'openvpn', ['--config', join(dir, 'server.conf')]);
    await waitFor(async () => server.text.includes('Initialization Sequence Completed'), 'server');
    if (mode === 'management') {
      spawnIn(relay, process.execPath, [HOOK, 'manage'], {
        TUNNELGATE_API_TOKEN_FILE: join(dir, 'api-token'),
        TUNNELGATE_OPENVPN_MANAGEMENT_SOCKET: join(dir, 'run', 'tun0.management.sock'),
        TUNNELGATE_OPENVPN_SUBNET: '10.9.0.0/24',
      });
      // A CONNECT that comes before the manager is lost, and its client waits out hand-window.
      await waitFor(async () => server.text.includes('MANAGEMENT: Client connected'), 'manager');
    }

    const client = (ns: Netns, remote: string, i: number, configured: boolean) => {
      const credentials = join(dir, `c${i}.creds`);
      writeFileSync(credentials, `c${i}\n${PASSWORD}\n`, { mode: 0o600 });
      return spawnIn(
        ns,
        'openvpn',
        openvpnClientArgs({
          remote,
          ca: join(dir, 'ca.crt'),
          credentials,
          dev: configured ? 'tun0' : `tun${i}`,
          configureTun: configured,
        }),
      );
    };
    const up = (out: Output) => out.text.includes('Initialization Sequence Completed');
    const first = client(steady, '192.0.2.1', 0, true);
    await waitFor(async () => up(first), 'the connected customer', 300).catch((error: Error) => {
      throw new Error(`${error.message}\n${server.text.slice(-3000)}\n${first.text.slice(-2000)}`);
    });

    // The connected customer pings the relay through its tunnel for the whole storm.
    const ping = spawnIn(steady, 'ping', ['-n', '-i', '0.02', '-W', '1', '10.9.0.1']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const started = performance.now();
    // taskset execs tunnel-api, so its pid is tunnel-api's.
    if (options.apiOutageMs) tunnelApi.child.kill('SIGSTOP');
    const crowdClients = Array.from({ length: clients }, (_, i) =>
      client(crowd, '192.0.3.1', i + 1, false),
    );
    if (options.apiOutageMs)
      setTimeout(() => tunnelApi.child.kill('SIGCONT'), options.apiOutageMs).unref();
    let allUpMs = NaN;
    for (let i = 0; i < 600; i++) {
      if (crowdClients.every(up)) {
        allUpMs = performance.now() - started;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ping.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rtts = [...ping.text.matchAll(/icmp_seq=(\d+) .*time=([\d.]+) ms/g)].map((m) =>
      Number(m[2]),
    );
    const sent = Number(/(\d+) packets transmitted/.exec(ping.text)?.[1] ?? NaN);
    const sorted = [...rtts].sort((a, b) => a - b);
    const sessions = api('GET', '/v1/sessions') as unknown[];
    return {
      mode,
      admitted: crowdClients.filter(up).length,
      /** Active sessions at the end, the connected customer's included. */
      sessions: sessions.length,
      /** Clients told to come back later (a TEMP refusal) on their way in. */
      refusedForNow: crowdClients.filter((out) => out.text.includes('AUTH_FAILED,TEMP')).length,
      allUpMs,
      maxRtt: sorted.at(-1) ?? NaN,
      p99Rtt: sorted[Math.floor(sorted.length * 0.99)] ?? NaN,
      lost: sent - rtts.length,
      sent,
    };
  } finally {
    for (const out of processes) out.child.kill('SIGKILL');
    for (const ns of [relay, steady, crowd]) ns.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}
