import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipsetMembers, jsonCurlArgs, makeOpenvpnPki, waitFor } from '@tunnelgate/netns-testing';
import { LabProcess } from './lab-process';
import { LAB, type Topology } from './topology';

export const ROOT = join(__dirname, '../../..');
const TOKEN = 'e2e-relay-token-0123456789abcdef0123';
const GATEWAY_TOKEN = 'e2e-relay-gateway-token-0123456789ab';
const HOOK_TOKEN = 'e2e-relay-hook-token-0123456789abcdef';
const API = 'http://127.0.0.1:8081';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/**
 * The relay as production runs it, in the relay namespace: tunnel-api (SQLite, the real
 * firewall), proxy-gateway in relay mode, and OpenVPN with the config `hook-cli server-config`
 * renders from deployments/openvpn, running as nobody with hook-cli as its three scripts.
 */
export class RelayNode {
  readonly dir = mkdtempSync(join(tmpdir(), 'tg-e2e-'));
  /** One token per principal, as a production relay has them: the hooks can read only theirs. */
  readonly tokenFile = join(this.dir, 'api-token');
  readonly gatewayTokenFile = join(this.dir, 'gateway-token');
  readonly hookTokenFile = join(this.dir, 'hook-token');
  tunnelApi!: LabProcess;
  gateway!: LabProcess;
  openvpn!: LabProcess;
  /** `hook-cli manage`, in management mode. */
  manager: LabProcess | undefined;

  constructor(
    private readonly topology: Topology,
    /** Who admits OpenVPN's clients: `hook-cli manage`, or hook-cli as OpenVPN's scripts. */
    readonly control: 'management' | 'script' = 'management',
  ) {
    // OpenVPN's hooks run as nobody: they must reach their token (group nogroup, never world),
    // and nothing else.
    chmodSync(this.dir, 0o755);
    writeFileSync(this.tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(this.gatewayTokenFile, `${GATEWAY_TOKEN}\n`, { mode: 0o600 });
    writeFileSync(this.hookTokenFile, `${HOOK_TOKEN}\n`, { mode: 0o640 });
    chownSync(
      this.hookTokenFile,
      0,
      Number(execFileSync('getent', ['group', 'nogroup']).toString().split(':')[2]),
    );
    makeOpenvpnPki(this.dir);
    mkdirSync(join(this.dir, 'run'), { mode: 0o755 });
    mkdirSync(join(this.dir, 'tmp'));
    // Written by OpenVPN and its hooks after they dropped to nobody, like /dev/shm.
    chmodSync(join(this.dir, 'tmp'), 0o1777);
  }

  async start(): Promise<void> {
    await this.startTunnelApi();
    this.gateway = new LabProcess(
      'proxy-gateway',
      this.topology.relay,
      'node',
      [join(ROOT, 'dist/apps/proxy-gateway/main.js')],
      {
        TUNNELGATE_API_TOKEN_FILE: this.gatewayTokenFile,
        TUNNELGATE_GATEWAY_HTTP_LISTEN: '0.0.0.0:3128',
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: '0.0.0.0:1080',
        // Debug: one line per transparent connection, with the SNI or Host it found.
        TUNNELGATE_LOG_LEVEL: 'debug',
      },
    ).start();
    await this.gateway.waitForOutput('gateway listening');
    const config = join(this.dir, 'server.conf');
    writeFileSync(
      config,
      execFileSync(process.execPath, [join(ROOT, 'dist/apps/hook-cli/main.js'), 'server-config'], {
        env: {
          TUNNELGATE_OPENVPN_TEMPLATE: join(ROOT, 'deployments/openvpn/server.conf.template'),
          TUNNELGATE_OPENVPN_CONTROL: this.control,
          TUNNELGATE_OPENVPN_SUBNET: LAB.customerSubnet,
          TUNNELGATE_OPENVPN_CA_FILE: join(this.dir, 'ca.crt'),
          TUNNELGATE_OPENVPN_CERT_FILE: join(this.dir, 'server.crt'),
          TUNNELGATE_OPENVPN_KEY_FILE: join(this.dir, 'server.key'),
          TUNNELGATE_API_TOKEN_FILE: this.hookTokenFile,
          TUNNELGATE_OPENVPN_RUN_DIR: join(this.dir, 'run'),
          // OpenVPN's temporary files and the hooks' state, apart from the host's /dev/shm.
          TUNNELGATE_OPENVPN_TMP_DIR: join(this.dir, 'tmp'),
        },
      }),
    );
    this.openvpn = new LabProcess(
      'openvpn server',
      this.topology.relay,
      'openvpn',
      ['--config', config],
      {},
    ).start();
    await this.openvpn.waitForOutput('Initialization Sequence Completed');
    if (this.control === 'management') {
      this.manager = new LabProcess(
        'hook-cli manage',
        this.topology.relay,
        process.execPath,
        [join(ROOT, 'dist/apps/hook-cli/main.js'), 'manage'],
        {
          TUNNELGATE_API_TOKEN_FILE: this.hookTokenFile,
          TUNNELGATE_OPENVPN_MANAGEMENT_SOCKET: join(this.dir, 'run', 'tun0.management.sock'),
          TUNNELGATE_OPENVPN_SUBNET: LAB.customerSubnet,
        },
      ).start();
      await this.manager.waitForOutput('"message":"attached"');
    }
  }

  /** Where the admission decisions are logged: the manager's output, or OpenVPN's (scripts). */
  get controlLog(): LabProcess {
    return this.manager ?? this.openvpn;
  }

  /** Started again after a stop or a SIGKILL: the same store, token and firewall. */
  async startTunnelApi(): Promise<void> {
    this.tunnelApi = new LabProcess(
      'tunnel-api',
      this.topology.relay,
      'node',
      [join(ROOT, 'dist/apps/tunnel-api/main.js')],
      {
        TUNNELGATE_API_TOKEN_FILE: this.tokenFile,
        TUNNELGATE_STORE: `sqlite:${join(this.dir, 'store.db')}`,
        TUNNELGATE_CUSTOMER_SUBNET: LAB.customerSubnet,
        TUNNELGATE_DEVICE_SUBNET: LAB.deviceSubnet,
        // The lab's devices are registered once and send no heartbeats.
        TUNNELGATE_DEVICE_OFFLINE_AFTER_MS: '3600000',
        TUNNELGATE_OPENVPN_REMOTE: LAB.relayPublic,
        TUNNELGATE_OPENVPN_CA_FILE: join(this.dir, 'ca.crt'),
        TUNNELGATE_OPENVPN_PROFILE_TEMPLATE: join(ROOT, 'deployments/openvpn/client.ovpn.template'),
      },
    ).start();
    await waitFor(
      async () => (await this.api('GET', '/readyz')).status === 200,
      'tunnel-api ready',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.tunnelApi.output}`);
    });
  }

  /** tunnel-api's internal API, asked from inside the relay (it listens on loopback only). */
  async api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const result = await this.topology.relay.run('curl', [
      '--max-time',
      '10',
      '-w',
      '\n%{http_code}',
      ...jsonCurlArgs(method, `${API}${path}`, TOKEN, body),
    ]);
    const at = result.stdout.lastIndexOf('\n');
    const text = result.stdout.slice(0, at);
    const status = Number(result.stdout.slice(at + 1));
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a profile, or nothing at all
    }
    return { status, body: parsed };
  }

  iptablesSave(): string {
    return this.topology.relay.exec('iptables-save', []);
  }

  /** The VPN IPs in the client set, which the one REDIRECT rule sends to the gateway. */
  redirectedIps(): string[] {
    return ipsetMembers(this.topology.relay, 'tg-clients');
  }

  async stop(): Promise<void> {
    for (const process of [this.manager, this.openvpn, this.gateway, this.tunnelApi])
      await process?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
