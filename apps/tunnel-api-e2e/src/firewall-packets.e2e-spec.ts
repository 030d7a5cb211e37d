import { DEFAULT_FIREWALL_SETTINGS } from '@tunnelgate/firewall';
import type { ChildProcess } from 'node:child_process';
import { LISTEN, TCP_CONNECT, UDP_SEND, waitForLine } from './support/packet-scripts';
import {
  ClientSet,
  ExecRunner,
  FirewallReconciler,
  Iptables,
  syncStateOf,
} from '@tunnelgate/firewall-sync';
import { describeAsRoot, link, Netns } from '@tunnelgate/netns-testing';
import { ONE_CLIENT_ONE_DEVICE } from './support/one-client-one-device';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describeAsRoot('firewall with real packets between namespaces', () => {
  // customer (10.9.0.6 has a session, 10.9.0.7 has none) --tun0-- relay --dev0-- device
  //                                                          \--wan0-- outsider
  let relay: Netns, customer: Netns, device: Netns, outsider: Netns;
  let reconciler: FirewallReconciler;
  let relayListener: ChildProcess;
  let deviceListener: ChildProcess;

  beforeAll(async () => {
    [relay, customer, device, outsider] = [new Netns(), new Netns(), new Netns(), new Netns()];
    link(relay, 'tun0', '10.9.0.1/24', customer, 'c0', '10.9.0.6/24');
    customer.exec('ip', ['addr', 'add', '10.9.0.7/24', 'dev', 'c0']);
    customer.exec('ip', ['route', 'add', 'default', 'via', '10.9.0.1']);
    link(relay, 'dev0', '192.168.255.1/24', device, 'd0', '192.168.255.10/24');
    link(relay, 'wan0', '198.51.100.1/24', outsider, 'o0', '198.51.100.2/24');
    relay.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    relayListener = relay.spawn(process.execPath, ['-e', LISTEN, '12345']);
    deviceListener = device.spawn(process.execPath, ['-e', LISTEN, '8080']);
    await Promise.all([
      waitForLine(relayListener, /listening/),
      waitForLine(deviceListener, /listening/),
    ]);
    reconciler = new FirewallReconciler({
      settings: DEFAULT_FIREWALL_SETTINGS,
      iptables: await Iptables.detect(new ExecRunner(relay.name)),
      clientSet: new ClientSet(new ExecRunner(relay.name)),
      loadState: async () => syncStateOf(ONE_CLIENT_ONE_DEVICE),
      logger: quiet,
    });
    await reconciler.start();
  }, 30_000);
  afterAll(() => {
    reconciler?.stop();
    for (const ns of [relay, customer, device, outsider]) ns?.remove();
  });

  const run = (ns: Netns, script: string, ...args: string[]) =>
    ns.exec(process.execPath, ['-e', script, ...args]).trim();

  it('lands TCP from a customer with a session on the transparent listener, whatever its destination', async () => {
    const accepted = waitForLine(relayListener, /accepted 12345 from 10\.9\.0\.6/);
    expect(run(customer, TCP_CONNECT, '198.51.100.2', '443', '10.9.0.6')).toBe('connected');
    await accepted;
  });

  it('refuses TCP from a customer IP without a session (never routed out raw)', () => {
    expect(run(customer, TCP_CONNECT, '198.51.100.2', '443', '10.9.0.7')).toBe('ECONNREFUSED');
  });

  it('answers QUIC (UDP/443) from a customer with ICMP port unreachable at once', () => {
    expect(run(customer, UDP_SEND, '198.51.100.2', '443')).toBe('ECONNREFUSED');
  });

  it("DNATs a device's public port to the device's proxy", async () => {
    const accepted = waitForLine(deviceListener, /accepted 8080 from 192\.168\.255\.1$/);
    expect(run(outsider, TCP_CONNECT, '198.51.100.1', '20000', '198.51.100.2')).toBe('connected');
    await accepted;
  });
});
