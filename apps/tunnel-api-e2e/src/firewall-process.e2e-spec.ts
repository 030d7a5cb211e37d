import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aDevice, anAccount, aSession } from '@tunnelgate/sessions/testing';
import { SqliteStore } from '@tunnelgate/store';
import { describeAsRoot, ipsetMembers, Netns, ownedLines } from '@tunnelgate/netns-testing';

const MAIN = join(__dirname, '../../../dist/apps/tunnel-api/main.js');
const T = '2026-01-01T00:00:00.000Z';

const TOKEN = 'process-test-token-0123456789';

/** Calls the API from inside the namespace (it listens on the namespace's loopback). */
function fetchInside(ns: Netns, url: string, body?: unknown): { status: number; body: unknown } {
  const headers = { authorization: `Bearer ${TOKEN}` };
  const init =
    body === undefined
      ? { headers }
      : {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { ...headers, 'content-type': 'application/json' },
        };
  const script = `fetch(${JSON.stringify(url)}, ${JSON.stringify(init)}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })), () => console.log('{"status":0}'))`;
  return JSON.parse(ns.exec(process.execPath, ['-e', script])) as { status: number; body: unknown };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeAsRoot('tunnel-api process owning the firewall of its namespace', () => {
  let ns: Netns;
  let dir: string;
  let store: SqliteStore;
  let api: ChildProcess | undefined;

  const start = () => {
    api = spawn('ip', ['netns', 'exec', ns.name, process.execPath, MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        TUNNELGATE_STORE: `sqlite:${join(dir, 'relay.db')}`,
        TUNNELGATE_FIREWALL: 'iptables',
        // Fixture devices were last seen long ago; heartbeats are the API test's subject, not this one's.
        TUNNELGATE_DEVICE_OFFLINE_AFTER_MS: '3600000',
        TUNNELGATE_API_TOKEN_FILE: join(dir, 'token'),
        TUNNELGATE_LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    return until('ready', () => {
      const ready = fetchInside(ns, 'http://127.0.0.1:8081/readyz');
      return ready.status === 200 ? ready : undefined;
    });
  };
  const stop = () =>
    new Promise<number | null>((resolve) => {
      api?.once('exit', (code) => resolve(code));
      api?.kill('SIGTERM');
    });
  const rules = () =>
    ownedLines(ns.exec('iptables-save', []), /^(TG-|PREROUTING$|POSTROUTING$|FORWARD$|INPUT$)/);
  /** The client set's members: the addresses the one REDIRECT rule sends to the gateway. */
  const redirected = () => ipsetMembers(ns, 'tg-clients');

  beforeAll(async () => {
    ns = new Netns();
    dir = mkdtempSync(join(tmpdir(), 'tunnel-api-fw-'));
    writeFileSync(join(dir, 'token'), TOKEN, { mode: 0o600 });
    store = new SqliteStore({ path: join(dir, 'relay.db') });
    await store.devices.put(aDevice({ id: 'dev-1', vpnIp: '192.168.255.10', basePort: 20000 }));
    await store.sessions.create(
      aSession({ id: 'ses-1', deviceId: 'dev-1', vpnIp: '10.9.0.6', connectedAt: T }),
    );
  });
  afterAll(async () => {
    if (api && api.exitCode === null) api.kill('SIGKILL');
    await store?.close();
    ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready only with the rules of the stored sessions and devices in the kernel', async () => {
    const ready = await start();
    expect(ready.body).toEqual({ status: 'ready', checks: { store: 'ok', firewall: 'in-sync' } });
    const text = rules();
    expect(text).toContain('--match-set tg-clients src');
    expect(redirected()).toEqual(['10.9.0.6']);
    expect(text).toContain(
      '"tunnelgate:device:dev-1:http" -j DNAT --to-destination 192.168.255.10:8080',
    );
  }, 30_000);

  it('follows the store: a session written by another client gets its rule, a closed one loses it', async () => {
    await store.sessions.create({
      ...(await store.sessions.get('ses-1'))!,
      id: 'ses-2',
      vpnIp: '10.9.0.7',
    });
    await until('ses-2 redirected', () => (redirected().includes('10.9.0.7') ? true : undefined));
    await store.sessions.update('ses-1', {
      state: 'closed',
      closedAt: T,
      closeReason: 'disconnect',
    });
    await until('ses-1 gone', () => (redirected().includes('10.9.0.6') ? undefined : true));
  });

  it("answers a connect only once the client's REDIRECT rule is in the kernel", async () => {
    await store.accounts.create(
      anAccount({ id: 'acc-1', username: 'bob', deviceId: 'dev-1', protocols: ['openvpn'] }),
    );
    const answer = fetchInside(ns, 'http://127.0.0.1:8081/v1/openvpn/connect', {
      username: 'bob',
      commonName: 'bob',
      vpnIp: '10.9.0.42',
      realIp: '203.0.113.9',
      realPort: 40000,
      connectedAt: T,
    });
    const text = ns.exec('iptables-save', ['-t', 'nat']);
    expect(answer.status).toBe(200);
    expect(redirected()).toContain('10.9.0.42');
    expect(text).toContain(
      '-A TG-CLIENTS -i tun0 -p tcp -m set --match-set tg-clients src -m comment --comment "tunnelgate:clients:tg-clients" -j REDIRECT --to-ports 12345',
    );
  });

  it('keeps the newer session on a reused IP, removes kicked ones, and refuses a device that went offline', async () => {
    const api = (path: string, body: unknown = {}) =>
      fetchInside(ns, `http://127.0.0.1:8081${path}`, body);
    const isRedirected = () => redirected().includes('10.9.0.50');
    await store.accounts.create(
      anAccount({ id: 'acc-2', username: 'carol', deviceId: 'dev-1', protocols: ['openvpn'] }),
    );
    const hello = (connectedAt: string) =>
      api('/v1/openvpn/connect', {
        username: 'carol',
        commonName: 'carol',
        vpnIp: '10.9.0.50',
        realIp: '203.0.113.9',
        realPort: 40001,
        connectedAt,
      });
    expect(hello(T).status).toBe(200);
    const newer = (hello('2026-01-01T01:00:00.000Z').body as { sessionId: string }).sessionId;
    const sessionsOn = () =>
      (
        fetchInside(ns, 'http://127.0.0.1:8081/v1/sessions?vpnIp=10.9.0.50').body as {
          id: string;
        }[]
      ).map((session) => session.id);
    expect(sessionsOn()).toEqual([newer]);
    expect(isRedirected()).toBe(true);

    // The old connection's disconnect arrives late: the new session's rule stays.
    const late = api('/v1/openvpn/disconnect', {
      username: 'carol',
      commonName: 'carol',
      vpnIp: '10.9.0.50',
      connectedAt: T,
      bytesReceived: 1,
      bytesSent: 1,
      durationSeconds: 1,
    });
    expect(late).toEqual({ status: 200, body: { closed: false } });
    expect(isRedirected()).toBe(true);

    expect(api(`/v1/sessions/${newer}/kick`).status).toBe(200);
    expect(isRedirected()).toBe(false);

    expect(api('/v1/devices/dev-1/disconnected').status).toBe(200);
    expect(ns.exec('iptables-save', ['-t', 'nat'])).not.toContain('tunnelgate:device:dev-1');
    expect(hello('2026-01-01T02:00:00.000Z').status).toBe(503);
    expect(isRedirected()).toBe(false);
    expect(api('/v1/devices/dev-1/connected').status).toBe(200);
    expect(ns.exec('iptables-save', ['-t', 'nat'])).toContain('tunnelgate:device:dev-1:http');
  });

  it('stops cleanly on SIGTERM and, restarted, has its sessions, devices and rules exactly as before', async () => {
    const state = () => [
      fetchInside(ns, 'http://127.0.0.1:8081/v1/sessions'),
      fetchInside(ns, 'http://127.0.0.1:8081/v1/devices'),
    ];
    const kernel = () => `${rules()}\nclient set: ${redirected().join(' ')}`;
    const before = kernel();
    const stateBefore = state();
    expect((stateBefore[0]!.body as unknown[]).length).toBe(2);
    expect(await stop()).toBe(0);
    expect(kernel()).toBe(before);
    await start();
    expect(kernel()).toBe(before);
    expect(state()).toEqual(stateBefore);
    const metrics = ns.exec(process.execPath, [
      '-e',
      "fetch('http://127.0.0.1:8081/metrics').then(r=>r.text()).then(console.log)",
    ]);
    expect(metrics).toMatch(
      /^tunnelgate_firewall_rules\{chain="ipv4:set:tg-clients",app="tunnel-api"\} 2$/m,
    );
    expect(metrics).toMatch(
      /^tunnelgate_firewall_sync_duration_seconds_count\{app="tunnel-api"\} [1-9]/m,
    );
    expect(await stop()).toBe(0);
  }, 30_000);

  it('takes every rule of its own out of the host with firewall-teardown, and nothing else', async () => {
    ns.exec('iptables', ['-A', 'FORWARD', '-j', 'ACCEPT']);
    ns.exec(process.execPath, [MAIN, 'firewall-teardown']);
    const left = ns.exec('iptables-save', []) + ns.exec('ip6tables-save', []);
    expect(left).not.toMatch(/TG-|tunnelgate/);
    expect(left).toContain('-A FORWARD -j ACCEPT');
    expect(ns.exec('ipset', ['list', '-n'])).not.toContain('tg-clients');
  });
});
