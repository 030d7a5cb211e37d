import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postJson } from '@tunnelgate/api-client';
import { ROOT, TunnelApiProcess } from '@tunnelgate/app-testing';

const CLI = join(ROOT, 'dist/apps/operator-cli/main.js');
const CA = '-----BEGIN CERTIFICATE-----\nMIIBcli-test\n-----END CERTIFICATE-----\n';

let api: TunnelApiProcess;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, configured as an operator on the relay would (environment, token file). */
function cli(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_API_URL: api.url,
        TUNNELGATE_API_TOKEN_FILE: api.tokenFile,
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

async function json<T>(args: string[], input?: string): Promise<T> {
  const run = await cli([...args, '--json'], { input });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
}

function proxyLogin(username: string, password: string): Promise<string> {
  return api
    .client(api.gatewayTokenFile)
    .proxyAuth({ username, password, protocol: 'http', clientIp: '127.0.0.1' });
}

beforeAll(async () => {
  api = new TunnelApiProcess();
  writeFileSync(join(api.dir, 'ca.crt'), CA);
  await api.start(undefined, {
    TUNNELGATE_OPENVPN_REMOTE: 'relay1.example.net',
    TUNNELGATE_OPENVPN_CA_FILE: join(api.dir, 'ca.crt'),
    TUNNELGATE_OPENVPN_PROFILE_TEMPLATE: join(ROOT, 'deployments/openvpn/client.ovpn.template'),
  });
});
afterAll(() => api.remove());

describe('tunnelgate (the operator CLI) against a real tunnel-api', () => {
  it('registers a device and creates an account whose generated password logs in', async () => {
    const registered = await cli([
      'devices',
      'register',
      'phone-1',
      '--vpn-ip',
      '192.168.255.20',
      '--name',
      'test phone',
    ]);
    expect(registered.code).toBe(0);
    expect(registered.stdout).toMatch(/vpn ip:\s+192\.168\.255\.20/);
    const account = await json<{ id: string; password: string; quotaBytes: number }>([
      'accounts',
      'create',
      'carol',
      '--device',
      'phone-1',
      '--id',
      'acc-carol',
      '--quota',
      '1GB',
    ]);
    expect(account).toMatchObject({ id: 'acc-carol', quotaBytes: 2 ** 30 });
    expect(account.password.length).toBeGreaterThanOrEqual(16);
    expect(await proxyLogin('carol', account.password)).toBe('acc-carol');
  });

  it('lists accounts and devices as tables, and as the API objects with --json', async () => {
    const accounts = await cli(['accounts', 'list']);
    expect(accounts.code).toBe(0);
    const [header, ...rows] = accounts.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+USERNAME\s+DEVICE\s+PROTOCOLS\s+USED\s+QUOTA/);
    expect(rows).toEqual([expect.stringMatching(/^acc-carol\s+carol\s+phone-1\s+.*\s1 GB\s/)]);
    const devices = await json<{ id: string; status: string }[]>(['devices', 'list']);
    expect(devices).toEqual([expect.objectContaining({ id: 'phone-1', status: 'offline' })]);
  });

  it('sets a password read from stdin, never from the command line', async () => {
    await json(['accounts', 'password', 'acc-carol', '--password-stdin'], 'a new long password\n');
    expect(await proxyLogin('carol', 'a new long password')).toBe('acc-carol');
  });

  it("lists an OpenVPN customer's session and kicks it", async () => {
    await api.client().reportDevice('phone-1', 'connected');
    const hookToken = readFileSync(api.hookTokenFile, 'utf8').trim();
    const connected = await postJson(
      { baseUrl: api.url, token: hookToken, timeoutMs: 5000 },
      '/v1/openvpn/connect',
      {
        username: 'carol',
        commonName: 'carol',
        vpnIp: '10.9.0.6',
        realIp: '203.0.113.9',
        realPort: 50000,
        connectedAt: new Date().toISOString(),
      },
    );
    expect(connected.kind).toBe('ok');
    const listed = await cli(['sessions', 'list', '--account', 'acc-carol']);
    expect(listed.stdout).toMatch(/\bcarol\s+10\.9\.0\.6\s+203\.0\.113\.9:50000\s+phone-1\b/);
    const [session] = await json<{ id: string }[]>(['sessions', 'list']);
    const kicked = await json<{ state: string; closeReason: string }>([
      'sessions',
      'kick',
      session?.id ?? '',
    ]);
    expect(kicked).toMatchObject({ state: 'closed', closeReason: 'kicked' });
    expect((await cli(['sessions', 'list'])).stdout.trim()).toBe('(none)');
  });

  it('writes the OpenVPN profile, with the relay and its CA and no credentials', async () => {
    const file = join(api.dir, 'carol.ovpn');
    const run = await cli(['profile', 'acc-carol', '--out', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`openvpn --config ${file}`);
    const profile = readFileSync(file, 'utf8');
    expect(profile).toMatch(/^remote relay1\.example\.net 1194/m);
    expect(profile).toContain(CA.trim());
    expect(profile).toMatch(/^auth-user-pass$/m);
    expect(profile).not.toContain('a new long password');
  });

  it('disables an account, shows its usage, resets it, and takes a device offline', async () => {
    expect(await json(['accounts', 'disable', 'acc-carol'])).toMatchObject({ enabled: false });
    await expect(proxyLogin('carol', 'a new long password')).rejects.toThrow();
    const usage = await cli(['accounts', 'usage', 'acc-carol']);
    expect(usage.stdout).toMatch(/used:\s+0 B\nquota:\s+1 GB\nleft:\s+1 GB/);
    expect(await json(['accounts', 'reset', 'acc-carol'])).toMatchObject({ usedBytes: 0 });
    expect(await json(['devices', 'offline', 'phone-1'])).toMatchObject({ status: 'offline' });
  });

  it('says what to fix when the token, the address, the arguments or the input are wrong', async () => {
    const cases: [args: string[], env: Record<string, string>, code: number, says: RegExp][] = [
      [
        ['accounts', 'list'],
        { TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile },
        1,
        /operators' token/,
      ],
      [
        ['accounts', 'list'],
        { TUNNELGATE_API_TOKEN_FILE: join(api.dir, 'nope') },
        1,
        /cannot read .*--token-file/s,
      ],
      [
        ['devices', 'list'],
        { TUNNELGATE_API_URL: 'http://127.0.0.1:1' },
        1,
        /cannot reach tunnel-api at http:\/\/127\.0\.0\.1:1 .*--api-url/,
      ],
      [['accounts', 'show'], {}, 2, /needs <id>/],
      [['accounts', 'list', '--colour'], {}, 2, /Unknown option '--colour'/],
      [['acounts', 'list'], {}, 2, /no command "acounts list"/],
      [['accounts', 'show', 'nobody'], {}, 1, /no account nobody \(tunnelgate accounts list shows/],
      [
        ['devices', 'register', 'x', '--vpn-ip', '999.1.1.1'],
        {},
        1,
        /refused the request.*\n\s+- vpnIp/,
      ],
      [
        ['accounts', 'create', 'dave', '--device', 'phone-1', '--quota', 'lots'],
        {},
        2,
        /"lots" is not a size/,
      ],
    ];
    for (const [args, env, code, says] of cases) {
      const run = await cli(args, { env });
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({
        args,
        code,
        stderr: expect.stringMatching(says),
      });
    }
  });
});
