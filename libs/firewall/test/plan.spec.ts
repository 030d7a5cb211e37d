import {
  applyRestore,
  CHAINS,
  clientSetMembers,
  desiredRuleset,
  emptyKernel,
  type FirewallState,
  parseSave,
  planSync,
  renderSave,
  type SavedRuleset,
} from '../src';
import { converge, device, settings } from './fixtures';
import { seededRandom } from '@tunnelgate/sessions/testing';

const base: FirewallState = {
  sessions: [
    { id: 's1', vpnIp: '10.9.0.2' },
    { id: 's2', vpnIp: '10.9.0.3' },
  ],
  devices: [device('d1', '192.168.255.10', 20000)],
};

function plan(state: FirewallState, kernel: SavedRuleset) {
  return planSync(desiredRuleset(state, settings).ipv4, kernel);
}

describe('sync planner', () => {
  it('converges from an empty kernel, then has nothing to do', () => {
    const kernel = converge(base);
    expect(plan(base, kernel).restore).toBe('');
  });

  it('keeps the existing kernel rules of others and puts its jump first', () => {
    const foreign = parseSave(
      [
        '*filter',
        ':INPUT DROP [0:0]',
        ':FORWARD DROP [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':ufw-before-forward - [0:0]',
        '-A FORWARD -j ufw-before-forward',
        'COMMIT',
        '',
      ].join('\n'),
    );
    const kernel = converge(base, foreign);
    expect(kernel.get('filter')?.get('FORWARD')?.rules).toEqual([
      '-A FORWARD -m comment --comment "tunnelgate:jump:kernel" -j TG-FORWARD',
      '-A FORWARD -j ufw-before-forward',
    ]);
    expect(kernel.get('filter')?.get('FORWARD')?.policy).toBe('DROP');
    expect(kernel.get('filter')?.has('ufw-before-forward')).toBe(true);
  });

  it('plans no rule change for clients coming and going: they are members of the client set', () => {
    const kernel = converge(base);
    const next = {
      ...base,
      sessions: [
        ...base.sessions,
        { id: 's3', vpnIp: '10.9.0.4' },
        { id: 'far', vpnIp: '10.9.7.9' },
      ],
    };
    expect(plan(next, kernel).restore).toBe('');
    expect(plan({ ...base, sessions: [] }, kernel).restore).toBe('');
    expect(clientSetMembers(next.sessions)).toEqual(
      new Set(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.7.9']),
    );
  });

  it('removes strays of an earlier run: old chains, duplicate and misplaced jumps', () => {
    let kernel = converge(base);
    kernel = applyRestore(
      kernel,
      [
        '*nat',
        ':TG-C-10-8-0 - [0:0]',
        '-A TG-C-10-8-0 -s 10.8.0.2/32 -i tun0 -p tcp -m comment --comment "tunnelgate:session:old" -j REDIRECT --to-ports 12345',
        '-I PREROUTING 1 -j DOCKER',
        '-A PREROUTING -m comment --comment "tunnelgate:jump:kernel" -j TG-PREROUTING',
        '-A OUTPUT -m comment --comment "tunnelgate:jump:kernel" -j TG-C-10-8-0',
        'COMMIT',
        '',
      ]
        .join('\n')
        .replace('-I PREROUTING 1 -j DOCKER', ':DOCKER - [0:0]\n-I PREROUTING 1 -j DOCKER'),
    );
    const fix = plan(base, kernel);
    expect(fix.deletedChains).toEqual(['TG-C-10-8-0']);
    expect(fix.fixedJumps.sort()).toEqual(['OUTPUT', 'PREROUTING']);
    const fixed = applyRestore(kernel, fix.restore);
    expect(fixed.get('nat')?.get('PREROUTING')?.rules).toEqual([
      '-A PREROUTING -m comment --comment "tunnelgate:jump:kernel" -j TG-PREROUTING',
      '-A PREROUTING -j DOCKER',
    ]);
    expect(fixed.get('nat')?.get('OUTPUT')?.rules).toEqual([]);
    expect(plan(base, fixed).restore).toBe('');
  });

  it('repairs a chain someone flushed', () => {
    const kernel = converge(base);
    const flushed = applyRestore(kernel, '*nat\n:TG-CLIENTS - [0:0]\nCOMMIT\n');
    const repair = plan(base, flushed);
    expect([...repair.rewrittenChains, ...repair.editedChains]).toEqual([CHAINS.clients]);
    expect(renderSave(applyRestore(flushed, repair.restore))).toBe(renderSave(kernel));
  });

  it('rewrites a chain whole when many lines changed at once', () => {
    const kernel = converge(base);
    const many = {
      ...base,
      devices: Array.from({ length: 10 }, (_, i) =>
        device(`m${i}`, `192.168.255.${100 + i}`, 30000 + 3 * i),
      ),
    };
    const step = plan(many, kernel);
    expect(step.rewrittenChains).toEqual([CHAINS.devices]);
    expect(plan(many, applyRestore(kernel, step.restore)).restore).toBe('');
  });

  it('removes everything of ours when nothing is desired', () => {
    const kernel = converge(base);
    const teardown = planSync({}, kernel);
    const clean = applyRestore(kernel, teardown.restore);
    expect(renderSave(clean)).not.toMatch(/TG-|tunnelgate/);
    expect(planSync({}, clean).restore).toBe('');
  });
});

describe('isolation of REDIRECT and DNAT (property)', () => {
  // The same sequence on every run, thousands of states.
  function random(seed: number) {
    const next = seededRandom(seed);
    return (n: number) => Math.floor(next() * n);
  }

  function chainLines(state: FirewallState, filter: (chain: string) => boolean): string {
    const kernel = applyRestore(
      emptyKernel(),
      planSync(desiredRuleset(state, settings).ipv4, emptyKernel()).restore,
    );
    return [...(kernel.get('nat') ?? [])]
      .filter(([name]) => filter(name))
      .map(([name, chain]) => `${name}\n${chain.rules.join('\n')}`)
      .join('\n');
  }

  const isRedirect = (chain: string) => chain === CHAINS.clients;
  const isDnat = (chain: string) => chain === CHAINS.devices;

  it('the DNAT chain depends only on devices and the REDIRECT chains only on sessions', () => {
    const next = random(42);
    let state: FirewallState = { sessions: [], devices: [] };
    for (let step = 0; step < 300; step++) {
      const sessions = [...state.sessions];
      const devices = [...state.devices];
      switch (next(4)) {
        case 0:
          sessions.push({ id: `s${step}`, vpnIp: `10.9.${next(3)}.${2 + next(250)}` });
          break;
        case 1:
          sessions.splice(next(sessions.length + 1), 1);
          break;
        case 2:
          devices.push(device(`d${step}`, `192.168.255.${2 + next(250)}`, 20000 + 3 * next(100)));
          break;
        default:
          devices.splice(next(devices.length + 1), 1);
      }
      state = { sessions, devices };
      expect(chainLines(state, isDnat)).toBe(chainLines({ sessions: [], devices }, isDnat));
      expect(chainLines(state, isRedirect)).toBe(chainLines({ sessions, devices: [] }, isRedirect));
      // The client set, REDIRECT's other input, holds sessions' addresses and nothing of devices.
      expect(clientSetMembers(state.sessions)).toEqual(
        new Set(sessions.map((session) => session.vpnIp)),
      );
    }
  });

  it('a session change never plans a write to the DNAT chain, nor a device change to a REDIRECT chain', () => {
    const next = random(7);
    let state: FirewallState = { sessions: [], devices: [device('d0', '192.168.255.2', 20000)] };
    let kernel = converge(state);
    for (let step = 0; step < 300; step++) {
      const sessionChange = next(2) === 0;
      const nextState: FirewallState = sessionChange
        ? {
            ...state,
            sessions:
              next(3) === 0
                ? state.sessions.slice(1)
                : [
                    ...state.sessions,
                    { id: `s${step}`, vpnIp: `10.9.${next(4)}.${2 + next(250)}` },
                  ],
          }
        : {
            ...state,
            devices:
              next(3) === 0
                ? state.devices.slice(1)
                : [
                    ...state.devices,
                    device(`d${step}`, `192.168.255.${2 + next(250)}`, 21000 + 3 * step),
                  ],
          };
      const step_ = plan(nextState, kernel);
      const touched = [...step_.rewrittenChains, ...step_.editedChains, ...step_.deletedChains];
      if (sessionChange) expect(touched.filter(isDnat)).toEqual([]);
      else expect(touched.filter(isRedirect)).toEqual([]);
      kernel = applyRestore(kernel, step_.restore);
      state = nextState;
    }
    expect(plan(state, kernel).restore).toBe('');
  });
});
