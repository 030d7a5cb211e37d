import { AsyncLocalStorage } from 'node:async_hooks';
import { aDevice } from '@tunnelgate/sessions/testing';
import {
  DEFAULT_FIREWALL_SETTINGS,
  desiredRuleset,
  parseSave,
  planSync,
  type FirewallState,
} from '@tunnelgate/firewall';
import {
  ClientSet,
  ExecRunner,
  FirewallReconciler,
  Iptables,
  syncStateOf,
} from '@tunnelgate/firewall-sync';
import { describeAsRoot, ipsetMembers, Netns, ownedLines } from '@tunnelgate/netns-testing';

const settings = DEFAULT_FIREWALL_SETTINGS;
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const device = (id: string, vpnIp: string, basePort: number) => aDevice({ id, vpnIp, basePort });

describeAsRoot('firewall reconciler on a real kernel (iptables in a netns)', () => {
  let ns: Netns;
  let iptables: Iptables;
  let state: FirewallState;
  let reconciler: FirewallReconciler;
  let changes: number[];

  const save = () => ns.exec('iptables-save', []);
  const ours = (text = save()) =>
    ownedLines(text, /^(TG-|PREROUTING$|POSTROUTING$|FORWARD$|INPUT$|OUTPUT$)/);

  /** The client set's members, as the kernel has them. */
  const members = () => ipsetMembers(ns, 'tg-clients');

  beforeEach(async () => {
    ns = new Netns();
    iptables = await Iptables.detect(new ExecRunner(ns.name));
    state = {
      sessions: [{ id: 's1', vpnIp: '10.9.0.6' }],
      devices: [device('d1', '192.168.255.10', 20000)],
    };
    changes = [];
    reconciler = new FirewallReconciler({
      settings,
      iptables,
      clientSet: new ClientSet(new ExecRunner(ns.name)),
      loadState: async () => syncStateOf(state),
      logger: quiet,
      observer: { synced: (r) => changes.push(r.changedChains), failed: () => undefined },
      resyncIntervalMs: 3_600_000,
      // Tests below sync the rules after every change; the hold has a test of its own.
      minSyncPeriodMs: 0,
    });
  });
  afterEach(() => {
    reconciler.stop();
    ns.remove();
  });

  it('applies, and a second apply changes nothing', async () => {
    await reconciler.start();
    const first = ours();
    expect(first).toContain(
      '-A PREROUTING -m comment --comment "tunnelgate:jump:kernel" -j TG-PREROUTING',
    );
    expect(first).toContain('-j REDIRECT --to-ports 12345');
    await reconciler.requestSync();
    expect(changes).toEqual([expect.any(Number), 0]);
    expect(ours()).toBe(first);
    expect(ns.exec('ip6tables-save', [])).toContain('tunnelgate:policy:customer-v6-other');
  });

  it('removes strays of a previous run at start', async () => {
    ns.exec(
      'iptables-restore',
      ['--noflush'],
      [
        '*nat',
        ':TG-C-10-8-0 - [0:0]',
        '-A TG-C-10-8-0 -s 10.8.0.2/32 -i tun0 -p tcp -m comment --comment "tunnelgate:session:old" -j REDIRECT --to-ports 12345',
        '-A OUTPUT -m comment --comment "tunnelgate:jump:kernel" -j TG-C-10-8-0',
        'COMMIT',
        '*filter',
        ':TG-FORWARD - [0:0]',
        '-A FORWARD -j ACCEPT',
        '-A FORWARD -m comment --comment "tunnelgate:jump:kernel" -j TG-FORWARD',
        '-A FORWARD -m comment --comment "tunnelgate:jump:kernel" -j TG-FORWARD',
        'COMMIT',
        '',
      ].join('\n'),
    );
    await reconciler.start();
    const text = save();
    expect(text).not.toContain('TG-C-10-8-0');
    expect(text).not.toContain('tunnelgate:session:old');
    const forward = parseSave(text).get('filter')?.get('FORWARD')?.rules;
    expect(forward).toEqual([
      '-A FORWARD -m comment --comment "tunnelgate:jump:kernel" -j TG-FORWARD',
      '-A FORWARD -j ACCEPT',
    ]);
  });

  it('repairs an external flush of the rules or of the client set on the next resync', async () => {
    await reconciler.start();
    const good = ours();
    expect(members()).toEqual(['10.9.0.6']);
    ns.exec('iptables', ['-t', 'nat', '-F', 'TG-CLIENTS']);
    ns.exec('iptables', ['-t', 'nat', '-D', 'PREROUTING', '1']);
    ns.exec('ipset', ['flush', 'tg-clients']);
    expect(ours()).not.toBe(good);
    // The periodic resync is a full read: it sees the flush and repairs it.
    await reconciler.requestSync({ full: true });
    expect(ours()).toBe(good);
    expect(members()).toEqual(['10.9.0.6']);
  });

  it('converges after an apply that died half-way (one table applied, the other not)', async () => {
    // What a kill between the nat and the filter COMMIT leaves: another state's nat half.
    const other = desiredRuleset({ devices: [] }, settings);
    const full = planSync(other.ipv4, parseSave(save())).restore;
    ns.exec('ipset', ['create', 'tg-clients', 'hash:ip', '-exist']);
    ns.exec('iptables-restore', ['--noflush'], full.slice(0, full.indexOf('*filter')));
    await reconciler.start();
    const reference = new Netns();
    try {
      const clean = new FirewallReconciler({
        settings,
        iptables: await Iptables.detect(new ExecRunner(reference.name)),
        clientSet: new ClientSet(new ExecRunner(reference.name)),
        loadState: async () => syncStateOf(state),
        logger: quiet,
      });
      await clean.start();
      clean.stop();
      expect(ours()).toBe(ours(reference.exec('iptables-save', [])));
    } finally {
      reference.remove();
    }
  });

  it('coalesces a burst of requests into few syncs, each caller seeing its own change', async () => {
    await reconciler.start();
    changes = [];
    const burst = Array.from({ length: 50 }, (_, i) => {
      state = {
        ...state,
        sessions: [...state.sessions, { id: `b${i}`, vpnIp: `10.9.0.${10 + i}` }],
      };
      return reconciler.requestSync({ clientsOnly: true });
    });
    await Promise.all(burst);
    expect(changes.length).toBeLessThanOrEqual(2);
    expect(members()).toHaveLength(51);
    for (let i = 0; i < 50; i++) expect(members()).toContain(`10.9.0.${10 + i}`);
  });

  it('names the requests a coalesced sync served on its log lines, in none of their contexts', async () => {
    const lines: { line: Record<string, unknown>; context?: string }[] = [];
    const context = new AsyncLocalStorage<string>();
    const record = (line: object) =>
      lines.push({ line: line as Record<string, unknown>, context: context.getStore() });
    const logged = new FirewallReconciler({
      settings,
      iptables,
      clientSet: new ClientSet(new ExecRunner(ns.name)),
      loadState: async () => syncStateOf(state),
      logger: { log: record, warn: record, error: record },
      resyncIntervalMs: 3_600_000,
      minSyncPeriodMs: 0,
    });
    try {
      await logged.start();
      lines.length = 0;
      const burst = Array.from({ length: 30 }, (_, i) =>
        // Each caller in its own context, as each API request is.
        context.run(`request-${i}`, () => {
          state = {
            ...state,
            sessions: [...state.sessions, { id: `r${i}`, vpnIp: `10.9.0.${100 + i}` }],
          };
          return logged.requestSync({ clientsOnly: true, requestId: `hook-${i}` });
        }),
      );
      await Promise.all(burst);
      const synced = lines.filter(({ line }) => line['message'] === 'client set synced');
      expect(synced.length).toBeGreaterThan(0);
      // Every request is counted by a sync that served it; up to 20 of them named on its line.
      const requests = synced.map(
        ({ line }) => line['requests'] as { ids: string[]; count: number },
      );
      expect(requests.reduce((sum, r) => sum + r.count, 0)).toBe(30);
      for (const { ids, count } of requests) {
        expect(ids).toHaveLength(Math.min(count, 20));
        for (const id of ids) expect(id).toMatch(/^hook-\d+$/);
      }
      // The loop runs in its own context: no line is stamped as one request's.
      expect(synced.map(({ context: c }) => c)).toEqual(synced.map(() => undefined));
    } finally {
      logged.stop();
    }
  });

  it('keeps the DNAT chain byte-identical through 1,000 client connects and disconnects (50 devices online)', async () => {
    state = {
      sessions: [],
      devices: Array.from({ length: 50 }, (_, i) =>
        device(`d${i}`, `192.168.255.${10 + i}`, 20000 + 3 * i),
      ),
    };
    await reconciler.start();
    const dnat = () => ownedLines(save(), /^TG-DEVICES$/);
    const before = dnat();
    expect(before.split('\n')).toHaveLength(1 + 150);
    const live: { id: string; vpnIp: string }[] = [];
    for (let op = 0; op < 1000; op++) {
      if (live.length > 0 && (op % 3 === 2 || live.length > 200)) live.splice(op % live.length, 1);
      else live.push({ id: `c${op}`, vpnIp: `10.9.${op % 4}.${2 + (op % 250)}` });
      state = { ...state, sessions: [...live] };
      await reconciler.requestSync({ clientsOnly: true });
      if (op % 50 === 49) expect(dnat()).toBe(before);
    }
    expect(dnat()).toBe(before);
    expect(members().sort()).toEqual([...new Set(live.map((c) => c.vpnIp))].sort());
    // Its cached copy of the kernel stayed true: a full read finds nothing to change.
    changes = [];
    await reconciler.requestSync({ full: true });
    expect(changes).toEqual([0]);
  }, 120_000);

  it('keeps the REDIRECT chain and the client set identical through device churn (100 clients connected)', async () => {
    state = {
      sessions: Array.from({ length: 100 }, (_, i) => ({
        id: `c${i}`,
        vpnIp: `10.9.${i % 2}.${2 + i}`,
      })),
      devices: [],
    };
    await reconciler.start();
    const redirect = () => `${ownedLines(save(), /^TG-CLIENTS$/)}\n${members().join(' ')}`;
    const before = redirect();
    for (let op = 0; op < 200; op++) {
      const devices = [...state.devices];
      if (devices.length > 0 && op % 3 === 2) devices.splice(op % devices.length, 1);
      else devices.push(device(`d${op}`, `192.168.255.${2 + (op % 250)}`, 30000 + 3 * op));
      state = { ...state, devices };
      await reconciler.requestSync();
      if (op % 20 === 19) expect(redirect()).toBe(before);
    }
    expect(redirect()).toBe(before);
  }, 120_000);

  it('holds rule syncs to one a period, and never holds a client sync', async () => {
    const scopes: string[] = [];
    const held = new FirewallReconciler({
      settings,
      iptables,
      clientSet: new ClientSet(new ExecRunner(ns.name)),
      loadState: async () => syncStateOf(state),
      logger: quiet,
      observer: { synced: (r) => scopes.push(r.scope), failed: () => undefined },
      resyncIntervalMs: 3_600_000,
      minSyncPeriodMs: 2_000,
    });
    try {
      await held.start();
      // Ten device changes just after a rules sync: they wait out the period, then share one.
      const deviceSyncs: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        state = {
          ...state,
          devices: [...state.devices, device(`h${i}`, `192.168.255.${40 + i}`, 30000 + 3 * i)],
        };
        deviceSyncs.push(held.requestSync());
      }
      // A connect meanwhile is not held: its address is in the set, the devices not yet.
      state = { ...state, sessions: [...state.sessions, { id: 's2', vpnIp: '10.9.0.7' }] };
      await held.requestSync({ clientsOnly: true });
      expect(members()).toContain('10.9.0.7');
      expect(ours()).not.toContain('tunnelgate:device:h0');
      await Promise.all(deviceSyncs);
      for (let i = 0; i < 10; i++) expect(ours()).toContain(`tunnelgate:device:h${i}:http`);
      expect(scopes).toEqual(['full', 'clients', 'rules']);
    } finally {
      held.stop();
    }
  });

  it('refuses to use a client set of another type, and says what to do', async () => {
    ns.exec('ipset', ['create', 'tg-clients', 'hash:net']);
    await expect(reconciler.start()).rejects.toThrow(/not a hash:ip set.*ipset destroy tg-clients/);
    expect(reconciler.healthy).toBe(false);
    ns.exec('ipset', ['destroy', 'tg-clients']);
    await reconciler.requestSync({ full: true });
    expect(members()).toEqual(['10.9.0.6']);
  });

  it('reports a refused restore to its callers and recovers when the kernel accepts again', async () => {
    await reconciler.start();
    // A chain of ours left by an earlier release (a per-/24 client chain), which a foreign rule
    // jumps to: deleting the stray is impossible while that jump is there.
    ns.exec('iptables', ['-t', 'nat', '-N', 'TG-C-10-9-0']);
    ns.exec('iptables', ['-t', 'nat', '-A', 'OUTPUT', '-j', 'TG-C-10-9-0']);
    await expect(reconciler.requestSync({ full: true })).rejects.toThrow(
      /iptables-nft-restore|iptables-legacy-restore/,
    );
    expect(reconciler.healthy).toBe(false);
    ns.exec('iptables', ['-t', 'nat', '-D', 'OUTPUT', '-j', 'TG-C-10-9-0']);
    // After a failure the cache is gone: the next sync reads the kernel again.
    await reconciler.requestSync();
    expect(reconciler.healthy).toBe(true);
    expect(save()).not.toContain('TG-C-10-9-0');
  });
});
