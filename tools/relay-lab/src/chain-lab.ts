import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfSigned, type Netns, type RunResult } from '@tunnelgate/netns-testing';
import { LabProcess } from './lab-process';
import { LeakCounters } from './leak-counters';
import { OpenvpnCustomer } from './openvpn-customer';
import { RelayNode, ROOT } from './relay-node';
import { buildTopology, LAB, removeTopology, type DeviceSite, type Topology } from './topology';

/** What the target answered: who it saw connecting, and which name the client asked for. */
export interface TargetAnswer {
  path: string;
  client: string;
  name: string | null;
}

/**
 * The whole chain on real parts: customers → OpenVPN → hook-cli → tunnel-api → iptables →
 * proxy-gateway → a phone's proxy (a proxy-gateway in device mode) → the target.
 */
export class ChainLab {
  readonly phones: LabProcess[] = [];
  readonly customers: OpenvpnCustomer[] = [];
  targets!: LabProcess;
  leaks!: LeakCounters;
  private stopped = false;

  private constructor(
    readonly topology: Topology,
    readonly relay: RelayNode,
  ) {}

  static async start(control: RelayNode['control'] = 'management'): Promise<ChainLab> {
    const topology = buildTopology();
    let relay: RelayNode;
    try {
      relay = new RelayNode(topology, control);
    } catch (error) {
      removeTopology(topology);
      throw error;
    }
    const lab = new ChainLab(topology, relay);
    try {
      await lab.startTargets();
      for (const site of topology.devices) await lab.startPhone(site);
      await lab.relay.start();
      lab.leaks = new LeakCounters(topology.wan, LAB.customerSubnet);
      for (const site of topology.devices) await lab.registerDevice(site);
      return lab;
    } catch (error) {
      await lab.stop();
      throw error;
    }
  }

  private async startTargets(): Promise<void> {
    const { key, cert } = selfSigned([LAB.targetName]);
    writeFileSync(join(this.relay.dir, 'target.key'), key);
    writeFileSync(join(this.relay.dir, 'target.crt'), cert);
    this.targets = new LabProcess(
      'target servers',
      this.topology.target,
      'node',
      [
        join(__dirname, 'target-servers.js'),
        'serve',
        LAB.target,
        join(this.relay.dir, 'target.key'),
        join(this.relay.dir, 'target.crt'),
      ],
      {},
    ).start();
    await this.targets.waitForOutput('listening');
  }

  /** The phone: its HTTP and SOCKS5 proxies on the device VPN IP, exiting on its own network. */
  private async startPhone(site: DeviceSite): Promise<void> {
    const phone = new LabProcess(
      `phone ${site.id}`,
      site.ns,
      'node',
      [join(ROOT, 'dist/apps/proxy-gateway/main.js')],
      {
        TUNNELGATE_GATEWAY_MODE: 'device',
        TUNNELGATE_API_TOKEN_FILE: this.relay.tokenFile,
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `${site.vpnIp}:8080`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: `${site.vpnIp}:1080`,
        // The lab's "internet" lives in a documentation range, which the SSRF guard refuses.
        TUNNELGATE_GATEWAY_DIRECT_ALLOW: `${LAB.target}/32`,
      },
    ).start();
    await phone.waitForOutput('gateway listening');
    this.phones.push(phone);
  }

  private async registerDevice(site: DeviceSite): Promise<void> {
    await this.expectApi('PUT', `/v1/devices/${site.id}`, {
      name: site.id,
      vpnIp: site.vpnIp,
      basePort: site.basePort,
    });
    await this.expectApi('POST', `/v1/devices/${site.id}/connected`);
  }

  async createAccount(username: string, password: string, deviceId: string): Promise<void> {
    await this.expectApi('POST', '/v1/accounts', {
      id: `acc-${username}`,
      username,
      password,
      deviceId,
    });
  }

  /** An API call that must succeed; its body. */
  async expectApi(method: string, path: string, body?: unknown): Promise<unknown> {
    const answer = await this.relay.api(method, path, body);
    if (answer.status < 200 || answer.status > 299)
      throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** An OpenVPN customer of `username` on the machine `ns`, with the profile tunnel-api serves. */
  async customer(ns: Netns, username: string, password: string): Promise<OpenvpnCustomer> {
    const profile = await this.relay.api('GET', `/v1/accounts/acc-${username}/openvpn-profile`);
    if (profile.status !== 200 || typeof profile.body !== 'string')
      throw new Error(
        `no profile for ${username}: ${profile.status} ${JSON.stringify(profile.body)}`,
      );
    const customer = new OpenvpnCustomer(ns, username, password, profile.body);
    this.customers.push(customer);
    return customer;
  }

  /**
   * Disconnects as a customer closing the app does, and waits for the client-disconnect (hook or manager)
   * to have run: OpenVPN 2.6 closes a UDP client's instance about 5 s after its exit notification,
   * and only then are its session and rule ended.
   */
  async disconnect(customer: OpenvpnCustomer): Promise<void> {
    const log = this.relay.controlLog;
    const mark = log.output.length;
    await customer.disconnect();
    await log.waitForOutput(
      new RegExp(`"hook":"client-disconnect","outcome":"[a-z]+","client":"${customer.username}"`),
      mark,
    );
  }

  /** `curl` from a customer machine; extra arguments before the URL (proxies, -k, ...). */
  curl(ns: Netns, url: string, ...args: string[]): Promise<RunResult> {
    return ns.run('curl', ['-s', '-S', '--max-time', '10', ...args, url]);
  }

  /** The target's answer to a GET through whatever path `args` set up; throws on failure. */
  async fetchTarget(ns: Netns, url: string, ...args: string[]): Promise<TargetAnswer> {
    const result = await this.curl(ns, url, ...args);
    if (result.code !== 0)
      throw new Error(`curl ${args.join(' ')} ${url} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as TargetAnswer;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const customer of this.customers) await customer.remove();
    await this.relay.stop();
    for (const phone of this.phones) await phone.stop();
    await this.targets?.stop();
    removeTopology(this.topology);
  }
}
