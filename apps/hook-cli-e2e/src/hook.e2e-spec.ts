import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApi } from './fake-api';
import { runHookProcess, startHookProcess } from './run-hook-process';

const CONNECTED = { sessionId: 'ses-42', config: ['push "dhcp-option DNS 10.9.0.1"'] };
const TOKEN = 'test-token-0123456789abcdef';

let dir: string;
let api: FakeApi;
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hook-cli-'));
  writeFileSync(join(dir, 'token'), TOKEN, { mode: 0o600 });
  api = await new FakeApi().start();
});
afterAll(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string): string {
  return join(dir, `${++n}-${name}`);
}

/** The environment OpenVPN 2.6 gives client-connect (verified on this machine, DESIGN.md). */
function connectEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    script_type: 'client-connect',
    username: 'alice',
    common_name: 'alice',
    ifconfig_pool_remote_ip: '10.9.0.6',
    trusted_ip: '203.0.113.9',
    trusted_port: '51000',
    time_unix: '1764000000',
    TUNNELGATE_API_URL: api.url,
    TUNNELGATE_API_TOKEN_FILE: join(dir, 'token'),
    ...extra,
  };
}

function disconnectEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...connectEnv(),
    script_type: 'client-disconnect',
    bytes_received: '1234',
    bytes_sent: '5678',
    time_duration: '60',
    ...extra,
  };
}

async function waitForContent(path: string, deadlineMs: number): Promise<string> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (text === '0' || text === '1') return text;
    await new Promise((r) => setTimeout(r, 20));
  }
  return existsSync(path) ? readFileSync(path, 'utf8') : '(missing)';
}

describe('client-connect (synchronous)', () => {
  it('admits when the API set the client up: writes the pushed config, exit 0, one attempt', async () => {
    api.replies({ status: 200, body: CONNECTED });
    const config = file('ccd');
    const run = await runHookProcess([config], connectEnv());
    expect(run.code).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe('push "dhcp-option DNS 10.9.0.1"\n');
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]).toMatchObject({
      path: '/v1/openvpn/connect',
      authorization: `Bearer ${TOKEN}`,
      body: {
        username: 'alice',
        commonName: 'alice',
        vpnIp: '10.9.0.6',
        realIp: '203.0.113.9',
        realPort: 51000,
        connectedAt: '2025-11-24T16:00:00.000Z',
      },
    });
    expect(run.logs).toEqual([
      expect.objectContaining({
        hook: 'client-connect',
        outcome: 'admitted',
        attempts: 1,
        sessionId: 'ses-42',
        client: 'alice',
      }),
    ]);
    // The hook's log line and its call carry the same request id (tunnel-api logs it too).
    expect(run.logs[0]?.['requestId']).toMatch(/^hook-\d+-[0-9a-z]+$/);
    expect(api.seen[0]?.requestId).toBe(run.logs[0]?.['requestId']);
  });

  it('rejects after 2 attempts about 1 s apart when the API refuses connections', async () => {
    const down = new FakeApi();
    await down.start();
    const url = down.url;
    await down.stop();
    const config = file('ccd');
    const run = await runHookProcess([config], connectEnv({ TUNNELGATE_API_URL: url }));
    expect(run.code).toBe(1);
    expect(run.wallMs).toBeGreaterThanOrEqual(1000);
    expect(run.wallMs).toBeLessThan(3000);
    expect(run.logs[0]).toMatchObject({
      outcome: 'rejected',
      attempts: 2,
      reason: expect.stringMatching(/^unreachable: ECONNREFUSED/),
    });
    expect(existsSync(config)).toBe(false);
  });

  it('rejects after 2 attempts of 5 s each when the API hangs, within 12 s', async () => {
    api.replies('hang');
    const run = await runHookProcess([file('ccd')], connectEnv());
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(2);
    expect(api.seen[1]!.at - api.seen[0]!.at).toBeGreaterThanOrEqual(5900);
    expect(run.wallMs).toBeGreaterThanOrEqual(11000);
    expect(run.wallMs).toBeLessThan(12000);
    expect(run.logs[0]).toMatchObject({
      outcome: 'rejected',
      attempts: 2,
      reason: expect.stringMatching(/^timeout/),
    });
  }, 20000);

  it('admits on the second attempt after a 500', async () => {
    api.replies(
      { status: 500, body: { error: { code: 'INTERNAL', message: 'boom' } } },
      { status: 200, body: CONNECTED },
    );
    const run = await runHookProcess([file('ccd')], connectEnv());
    expect(run.code).toBe(0);
    expect(api.seen).toHaveLength(2);
    expect(api.seen[1]!.at - api.seen[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('rejects when the device stays offline (503 twice)', async () => {
    api.replies({
      status: 503,
      body: { error: { code: 'DEVICE_OFFLINE', message: 'device d1 is offline' } },
    });
    const run = await runHookProcess([file('ccd')], connectEnv());
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(2);
    expect(run.logs[0]).toMatchObject({ reason: 'server-error: device d1 is offline' });
  });

  it.each([401, 403, 404])('rejects at once, without a pointless retry, on %i', async (status) => {
    api.replies({ status, body: { error: { code: 'NOT_FOUND', message: `said ${status}` } } });
    const run = await runHookProcess([file('ccd')], connectEnv());
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(1);
    expect(run.logs[0]).toMatchObject({
      attempts: 1,
      reason: `rejected: said ${status} (NOT_FOUND)`,
    });
  });

  it.each([
    ['garbage', { raw: 'ok!' }],
    ['JSON that breaks the contract', { status: 200, body: { sessionId: 7 } }],
    ['a truncated answer', 'truncated' as const],
  ])('rejects on %s (retried once)', async (_name, reply) => {
    api.replies(reply);
    const config = file('ccd');
    const run = await runHookProcess([config], connectEnv());
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(2);
    expect(existsSync(config)).toBe(false);
  });

  it("rejects without calling the API when OpenVPN's environment is garbage", async () => {
    api.replies({ status: 200, body: CONNECTED });
    const run = await runHookProcess(
      [file('ccd')],
      connectEnv({
        ifconfig_pool_remote_ip: '10.9.0.999',
        time_unix: 'yesterday',
        trusted_port: '-1',
      }),
    );
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(0);
    const reason = String(run.logs[0]!['reason']);
    expect(reason).toMatch(/^bad OpenVPN environment: /);
    expect(reason).toContain('ifconfig_pool_remote_ip: Invalid IPv4 address');
    expect(reason).toContain('time_unix: expected unix seconds, got "yesterday"');
    expect(reason).toMatch(/trusted_port: /);
  });

  it('rejects when misconfigured, naming the bad variables', async () => {
    const run = await runHookProcess(
      [file('ccd')],
      connectEnv({ TUNNELGATE_HOOK_ATTEMPTS: 'two', TUNNELGATE_API_URL: 'gopher://x' }),
    );
    expect(run.code).toBe(1);
    expect(run.logs[0]!['reason']).toMatch(
      /misconfigured hook: TUNNELGATE_API_URL: .*TUNNELGATE_HOOK_ATTEMPTS: /,
    );
  });

  it('rejects when the token file is readable by everyone', async () => {
    const open = file('token');
    writeFileSync(open, TOKEN);
    chmodSync(open, 0o644);
    const run = await runHookProcess(
      [file('ccd')],
      connectEnv({ TUNNELGATE_API_TOKEN_FILE: open }),
    );
    expect(run.code).toBe(1);
    expect(run.logs[0]!['reason']).toMatch(/accessible to others/);
  });

  it('takes its settings from flags too, and the command from argv', async () => {
    api.replies('hang');
    const run = await runHookProcess(
      ['client-connect', '--attempts=1', '--timeout-ms=300', file('ccd')],
      connectEnv({ script_type: '' }),
    );
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(1);
    expect(run.wallMs).toBeLessThan(2000);
  });
});

describe('client-connect (deferred)', () => {
  it('returns before the API answers, with "2" in the deferred file, then writes the config and "1"', async () => {
    // The API takes 1.5 s; OpenVPN must get its answer long before (tools/bench measures how long).
    api.replies({ afterMs: 1500, then: { status: 200, body: CONNECTED } });
    const deferred = file('deferred');
    const config = file('ccd');
    const hook = startHookProcess([config], connectEnv({ client_connect_deferred_file: deferred }));
    const exit = await hook.exited;
    expect(exit.code).toBe(0);
    expect(readFileSync(deferred, 'utf8')).toBe('2');
    expect(existsSync(config)).toBe(false);
    const run = await hook.done;
    expect(readFileSync(deferred, 'utf8')).toBe('1');
    expect(readFileSync(config, 'utf8')).toContain('dhcp-option DNS');
    expect(run.logs.map((l) => l['outcome'])).toEqual(['deferred', 'admitted']);
  });

  it('ends with "0" in the deferred file when the API is down', async () => {
    api.replies({ status: 502, body: {} });
    const deferred = file('deferred');
    const run = await runHookProcess(
      [file('ccd')],
      connectEnv({ client_connect_deferred_file: deferred }),
    );
    expect(run.code).toBe(0);
    expect(await waitForContent(deferred, 5000)).toBe('0');
    expect(api.seen).toHaveLength(2);
  });

  it('stays synchronous with --sync even when OpenVPN offers deferral', async () => {
    api.replies({ status: 200, body: CONNECTED });
    const deferred = file('deferred');
    const run = await runHookProcess(
      ['--sync', file('ccd')],
      connectEnv({ client_connect_deferred_file: deferred }),
    );
    expect(run.code).toBe(0);
    expect(run.logs).toHaveLength(1);
    expect(existsSync(deferred)).toBe(false);
  });
});

describe('client-disconnect', () => {
  it('reports the counters and exits 0', async () => {
    api.replies({ status: 200, body: { closed: true } });
    const run = await runHookProcess([], disconnectEnv());
    expect(run.code).toBe(0);
    expect(api.seen[0]).toMatchObject({
      path: '/v1/openvpn/disconnect',
      body: {
        commonName: 'alice',
        vpnIp: '10.9.0.6',
        bytesReceived: 1234,
        bytesSent: 5678,
        durationSeconds: 60,
      },
    });
  });

  it('exits 1 when the API fails, after one attempt', async () => {
    api.replies({ status: 500, body: {} });
    const run = await runHookProcess([], disconnectEnv());
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(1);
    expect(run.logs[0]).toMatchObject({ outcome: 'failed' });
  });

  it('waits only 1 s while an earlier hook found tunnel-api unreachable, and the full 5 s again once it answered', async () => {
    const stateDir = mkdtempSync(join(dir, 'state-'));
    const withState = { TUNNELGATE_HOOK_STATE_DIR: stateDir };
    api.replies('hang');
    const connect = await runHookProcess(
      [file('config')],
      connectEnv({ ...withState, TUNNELGATE_HOOK_ATTEMPTS: '1', TUNNELGATE_HOOK_DEFERRED: 'off' }),
    );
    expect(connect.logs[0]).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('within 5000 ms'),
    });

    const disconnect = await runHookProcess([], disconnectEnv(withState));
    expect(disconnect.code).toBe(1);
    expect(disconnect.logs[0]).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/within 1000 ms.*short timeout/),
    });

    api.replies({ status: 200, body: { closed: true } });
    expect((await runHookProcess([], disconnectEnv(withState))).code).toBe(0);
    api.replies('hang');
    const afterRecovery = await runHookProcess([], disconnectEnv(withState));
    expect(afterRecovery.logs[0]).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining('within 5000 ms'),
    });
  }, 30_000);

  it('exits 1 on garbage counters without calling the API', async () => {
    api.replies({ status: 200, body: { closed: true } });
    const run = await runHookProcess([], disconnectEnv({ bytes_sent: 'lots' }));
    expect(run.code).toBe(1);
    expect(api.seen).toHaveLength(0);
  });
});

describe('auth-user-pass-verify', () => {
  function authEnv(extra: Record<string, string> = {}) {
    return {
      script_type: 'user-pass-verify',
      username: 'alice',
      untrusted_ip: '203.0.113.9',
      untrusted_port: '51000',
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: join(dir, 'token'),
      ...extra,
    };
  }

  function credentials(password: string): string {
    const path = file('creds');
    writeFileSync(path, `alice\n${password}\n`);
    return path;
  }

  it('accepts via-file credentials the API accepts', async () => {
    api.replies({ status: 200, body: { ok: true, accountId: 'a1' } });
    const run = await runHookProcess(['--sync', credentials('s3cret-pass')], authEnv());
    expect(run.code).toBe(0);
    expect(api.seen[0]).toMatchObject({
      path: '/v1/openvpn/auth',
      body: { username: 'alice', password: 's3cret-pass', realIp: '203.0.113.9' },
    });
    expect(run.stderr).not.toContain('s3cret-pass');
  });

  it('rejects and writes the reason for the client', async () => {
    api.replies({
      status: 401,
      body: { error: { code: 'WRONG_PASSWORD', message: 'wrong username or password' } },
    });
    const reason = file('reason');
    const run = await runHookProcess(
      ['--sync', credentials('nope')],
      authEnv({ auth_failed_reason_file: reason }),
    );
    expect(run.code).toBe(1);
    expect(readFileSync(reason, 'utf8')).toBe('wrong username or password');
    expect(api.seen).toHaveLength(1);
  });

  it('tells the client to retry later (TEMP) when the API is unreachable', async () => {
    api.replies({ status: 503, body: {} });
    const reason = file('reason');
    const run = await runHookProcess(
      ['--sync', credentials('pw')],
      authEnv({ auth_failed_reason_file: reason }),
    );
    expect(run.code).toBe(1);
    expect(readFileSync(reason, 'utf8')).toMatch(/^TEMP\[backoff \d+\]: /);
  });

  it('accepts via-env credentials', async () => {
    api.replies({ status: 200, body: { ok: true, accountId: 'a1' } });
    const run = await runHookProcess(['--sync'], authEnv({ password: 'from-env' }));
    expect(run.code).toBe(0);
    expect(api.seen[0]?.body).toMatchObject({ password: 'from-env' });
  });

  it('defers (exit 2) and writes the verdict to auth_control_file, even after the credentials file is gone', async () => {
    api.replies({ status: 200, body: { ok: true, accountId: 'a1' } });
    const control = file('control');
    const creds = credentials('deferred-pass');
    const run = runHookProcess([creds], authEnv({ auth_control_file: control }));
    const result = await run;
    rmSync(creds, { force: true });
    expect(result.code).toBe(2);
    expect(await waitForContent(control, 5000)).toBe('1');
    expect(api.seen[0]?.body).toMatchObject({ password: 'deferred-pass' });
  });

  it('rejects when no password was given', async () => {
    const run = await runHookProcess(['--sync'], authEnv());
    expect(run.code).toBe(1);
  });

  it("keeps a via-env password out of the deferred worker's environment (issue 25, row 14)", async () => {
    api.replies('hang');
    const control = file('control');
    const hook = startHookProcess(
      [],
      authEnv({ password: 'env-secret-pw', auth_control_file: control }),
    );
    // The hook's stderr stays open while its worker lives: wait for the hook's exit only.
    expect((await hook.exited).code).toBe(2);
    // The worker waits on the API: its environment is there to read, as another process could.
    const workers = () =>
      readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--deferred-worker');
          } catch {
            return false;
          }
        });
    const end = Date.now() + 5000;
    while (workers().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const [worker] = workers();
    expect(worker).toMatch(/^\d+$/);
    const environ = readFileSync(`/proc/${worker}/environ`, 'utf8');
    expect(environ).toContain('auth_control_file=');
    expect(environ).not.toContain('env-secret-pw');
    await new Promise((r) => setTimeout(r, 200));
    expect(api.seen.at(-1)?.body).toMatchObject({ password: 'env-secret-pw' });
    process.kill(Number(worker), 'SIGKILL');
  });

  it("never writes OpenVPN's files through a planted symlink (issue 25, row 15)", async () => {
    api.replies({
      status: 401,
      body: { error: { code: 'WRONG_PASSWORD', message: 'wrong username or password' } },
    });
    const victim = file('victim');
    writeFileSync(victim, 'precious');
    const reason = file('reason');
    symlinkSync(victim, reason);
    const run = await runHookProcess(
      ['--sync', credentials('nope')],
      authEnv({ auth_failed_reason_file: reason }),
    );
    expect(run.code).toBe(1);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    // A client whose config file is a planted link is rejected: it could not be set up.
    api.replies({ status: 200, body: CONNECTED });
    const config = file('config');
    symlinkSync(victim, config);
    const connect = await runHookProcess(['--sync', config], connectEnv());
    expect(connect.code).toBe(1);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });
});

describe('hook without a command', () => {
  it('rejects when it cannot tell which hook it is', async () => {
    const run = await runHookProcess([], {});
    expect(run.code).toBe(1);
    expect(run.logs[0]).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringMatching(/^no hook named/),
    });
  });
});
