import { DEFAULT_FIREWALL_SETTINGS } from '@tunnelgate/firewall';
import type { ChildProcess } from 'node:child_process';
import { LISTEN, TCP_CONNECT, UDP_SEND, waitForLine } from './support/packet-scripts';
import {
  ClientSet,
  ExecRunner,
  FirewallReconciler,
  ForwardBarrier,
  Iptables,
  syncStateOf,
  KernelCanary,
  teardownFirewall,
} from '@tunnelgate/firewall-sync';
import { describeAsRoot, link, Netns, waitFor } from '@tunnelgate/netns-testing';
import { ONE_CLIENT_ONE_DEVICE } from './support/one-client-one-device';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Issue 21, part 1: with every iptables rule gone, customer traffic still never leaves the relay.
 * customer (10.9.0.6, with a session) --tun0-- relay --wan0-- outsider (the uplink's far side)
 *                                                   --dev0-- device
 */
describeAsRoot('the forward barrier (nftables), under an iptables flush', () => {
  let relay: Netns, customer: Netns, device: Netns, outsider: Netns;
  let reconciler: FirewallReconciler;
  let relayListener: ChildProcess;
  let deviceListener: ChildProcess;
  let runner: ExecRunner;

  /** Packets from customer addresses that reached the far side of the uplink. */
  const leaked = () =>
    Number(
      /^\s*(\d+)/m.exec(
        outsider.exec('iptables', ['-nvxL', 'INPUT', '-t', 'filter']).split('\n')[2] ?? '',
      )?.[1] ?? NaN,
    );
  const run = (ns: Netns, script: string, ...args: string[]) =>
    ns.exec(process.execPath, ['-e', script, ...args]).trim();

  beforeAll(async () => {
    [relay, customer, device, outsider] = [new Netns(), new Netns(), new Netns(), new Netns()];
    link(relay, 'tun0', '10.9.0.1/24', customer, 'c0', '10.9.0.6/24');
    customer.exec('ip', ['route', 'add', 'default', 'via', '10.9.0.1']);
    link(relay, 'dev0', '192.168.255.1/24', device, 'd0', '192.168.255.10/24');
    link(relay, 'wan0', '198.51.100.1/24', outsider, 'o0', '198.51.100.2/24');
    // The outsider could answer a leaked packet: the test must see a leak, not a timeout.
    outsider.exec('ip', ['route', 'add', '10.9.0.0/24', 'via', '198.51.100.1']);
    outsider.exec('iptables', ['-A', 'INPUT', '-s', '10.9.0.0/24']);
    relay.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    relayListener = relay.spawn(process.execPath, ['-e', LISTEN, '12345']);
    deviceListener = device.spawn(process.execPath, ['-e', LISTEN, '8080']);
    await Promise.all([
      waitForLine(relayListener, /listening/),
      waitForLine(deviceListener, /listening/),
    ]);
    runner = new ExecRunner(relay.name);
    reconciler = new FirewallReconciler(await reconcilerOptions());
    await reconciler.start();
  }, 30_000);

  /** The relay's desired state: one session, one device; the barrier; no canary unless asked. */
  async function reconcilerOptions(): Promise<ConstructorParameters<typeof FirewallReconciler>[0]> {
    return {
      settings: DEFAULT_FIREWALL_SETTINGS,
      iptables: await Iptables.detect(runner),
      clientSet: new ClientSet(runner),
      barrier: new ForwardBarrier(runner, DEFAULT_FIREWALL_SETTINGS),
      loadState: async () => syncStateOf(ONE_CLIENT_ONE_DEVICE),
      logger: quiet,
      resyncIntervalMs: 3_600_000,
    };
  }
  afterAll(() => {
    reconciler?.stop();
    for (const ns of [relay, customer, device, outsider]) ns?.remove();
  });

  it('is installed with the rules, and changes nothing while they are in place', async () => {
    expect(await new ForwardBarrier(runner, DEFAULT_FIREWALL_SETTINGS).intact()).toBe(true);
    const accepted = waitForLine(relayListener, /accepted 12345 from 10\.9\.0\.6/);
    expect(run(customer, TCP_CONNECT, '198.51.100.2', '443', '10.9.0.6')).toBe('connected');
    await accepted;
    expect(run(customer, UDP_SEND, '198.51.100.2', '443')).toBe('ECONNREFUSED');
    expect(run(outsider, TCP_CONNECT, '198.51.100.1', '20000', '198.51.100.2')).toBe('connected');
  });

  it('refuses customers at once with every iptables table flushed, and lets none of it out', async () => {
    const before = leaked();
    for (const tool of ['iptables', 'ip6tables'])
      for (const table of ['filter', 'nat', 'mangle']) relay.exec(tool, ['-t', table, '-F']);
    const started = Date.now();
    expect(run(customer, TCP_CONNECT, '198.51.100.2', '443', '10.9.0.6')).toBe('ECONNREFUSED');
    expect(run(customer, TCP_CONNECT, '198.51.100.2', '80', '10.9.0.6')).toBe('ECONNREFUSED');
    expect(run(customer, UDP_SEND, '198.51.100.2', '443')).toBe('ECONNREFUSED');
    expect(run(customer, UDP_SEND, '198.51.100.2', '53')).toBe('ECONNREFUSED');
    // Refused, not left to time out: four answers well inside one connect timeout.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(leaked()).toBe(before);
  });

  it('passes device-port traffic again once the rules are repaired', async () => {
    await reconciler.requestSync({ full: true });
    const accepted = waitForLine(deviceListener, /accepted 8080 from 192\.168\.255\.1$/);
    expect(run(outsider, TCP_CONNECT, '198.51.100.1', '20000', '198.51.100.2')).toBe('connected');
    await accepted;
    expect(run(customer, TCP_CONNECT, '198.51.100.2', '443', '10.9.0.6')).toBe('connected');
  });

  it('is repaired within a canary period after a flush, while syncs keep coming (issue 21)', async () => {
    reconciler.stop();
    const options = await reconcilerOptions();
    const watched = new FirewallReconciler({
      ...options,
      canary: new KernelCanary(runner, options.iptables, true),
      canaryIntervalMs: 500,
    });
    await watched.start();
    // Heartbeat-like load: a sync asked for every 20 ms, each trusting the cached kernel state,
    // as every device heartbeat did. Before the canary, these kept postponing the repair.
    let loaded = true;
    const load = (async () => {
      while (loaded) {
        await watched.requestSync().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const jumpsBack = async () => {
      try {
        relay.exec('iptables', [
          '-t',
          'nat',
          '-C',
          'PREROUTING',
          '-m',
          'comment',
          '--comment',
          'tunnelgate:jump:kernel',
          '-j',
          'TG-PREROUTING',
        ]);
        relay.exec('iptables', [
          '-C',
          'FORWARD',
          '-m',
          'comment',
          '--comment',
          'tunnelgate:jump:kernel',
          '-j',
          'TG-FORWARD',
        ]);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      relay.exec('iptables', ['-t', 'nat', '-F']);
      relay.exec('iptables', ['-F', 'FORWARD']);
      relay.exec('nft', ['delete', 'table', 'inet', 'tunnelgate']);
      expect(await jumpsBack()).toBe(false);
      // Repaired while the load goes on (the canary looks every 500 ms; 3 s is the test's patience).
      await waitFor(jumpsBack, 'the jumps back while syncs keep coming', 30);
      expect(await new ForwardBarrier(runner, DEFAULT_FIREWALL_SETTINGS).intact()).toBe(true);
      expect(run(customer, TCP_CONNECT, '198.51.100.2', '443', '10.9.0.6')).toBe('connected');
    } finally {
      loaded = false;
      await load;
      watched.stop();
    }
  });

  it('is restored by a full sync when it goes, and removed by the teardown', async () => {
    relay.exec('nft', ['delete', 'table', 'inet', 'tunnelgate']);
    const barrier = new ForwardBarrier(runner, DEFAULT_FIREWALL_SETTINGS);
    expect(await barrier.intact()).toBe(false);
    await reconciler.requestSync({ full: true });
    expect(await barrier.intact()).toBe(true);
    reconciler.stop();
    await teardownFirewall(await Iptables.detect(runner), runner);
    expect(relay.exec('nft', ['list', 'tables'])).not.toContain('tunnelgate');
    expect(await barrier.intact()).toBe(false);
    // A second teardown finds nothing to remove, and says nothing against it.
    await teardownFirewall(await Iptables.detect(runner), runner);
  });
});
