import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAsRoot, link, Netns } from '@tunnelgate/netns-testing';

const ROOT = join(__dirname, '../..');

function run(command: string): Promise<string> {
  return new Promise((resolve) =>
    execFile('sh', ['-c', command], { timeout: 15_000 }, (error, stdout, stderr) =>
      resolve(error ? `failed: ${stderr}` : stdout),
    ),
  );
}

/**
 * The README's run command as a new user meets it: start the relay on its defaults (firewall
 * off here: a test never touches the host's), then paste the curl lines it prints.
 */
describe('tools/relay/start.js (the quick start)', () => {
  it('starts the relay with a simulated phone and prints curl lines that work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-demo-'));
    const relay = spawn(process.execPath, [join(ROOT, 'tools/relay/start.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_FIREWALL: 'off',
        TUNNELGATE_STORE: `sqlite:${join(dir, 'store.db')}`,
        TUNNELGATE_API_TOKEN_FILE: join(dir, 'api-token'),
        TUNNELGATE_LOG_LEVEL: 'warn',
        TUNNELGATE_GATEWAY_ACCESS_LOG: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    relay.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    relay.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      for (let i = 0; i < 300 && !output.includes('and, with internet access'); i++)
        await new Promise((r) => setTimeout(r, 100));
      const lines = output.split('\n').filter((line) => /^ {2}curl .*127\.0\.0\.3/.test(line));
      expect(lines).toHaveLength(2);
      for (const line of lines)
        expect(await run(`${line.trim()} -s`)).toMatch(/^hello from the tunnelgate demo target/);
    } finally {
      const exited = new Promise((r) => relay.once('exit', r));
      relay.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(relay.exitCode).toBe(0);
  }, 60_000);
});

/** Output of a process, waited on for a pattern. */
function collect(child: ChildProcess): {
  text: () => string;
  until: (p: RegExp, ms: number) => Promise<string>;
} {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    text: () => output,
    async until(pattern, ms) {
      for (const deadline = Date.now() + ms; Date.now() < deadline;)
        if (pattern.test(output)) return output;
        else await new Promise((r) => setTimeout(r, 100));
      throw new Error(`no ${pattern} within ${ms} ms in:\n${output}`);
    },
  };
}

/**
 * The quick start as root, where it also starts OpenVPN: the relay runs in a namespace of its
 * own (its firewall there, never the host's), a customer machine in another, joined by a link.
 * The test follows the printed instructions: the profile command, then a real OpenVPN client with
 * the demo account, then a page through the tunnel, the firewall's REDIRECT, the gateway and the
 * simulated phone.
 */
describeAsRoot('tools/relay/start.js with OpenVPN (the OpenVPN quick start)', () => {
  const TARGET = '198.18.0.80';
  let relayNs: Netns;
  let customerNs: Netns;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-demo-vpn-'));
    relayNs = new Netns();
    customerNs = new Netns();
    link(relayNs, 'cust0', '172.31.0.1/24', customerNs, 'eth0', '172.31.0.2/24');
    customerNs.exec('ip', ['route', 'add', 'default', 'via', '172.31.0.1']);
    // The demo target on an address a customer's tunnel can carry (loopback never leaves it).
    relayNs.exec('ip', ['addr', 'add', `${TARGET}/32`, 'dev', 'lo']);
  });
  afterAll(() => {
    customerNs.remove();
    relayNs.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a profile command and credentials that connect a real OpenVPN client and browse through the phone', async () => {
    const relay = spawn(
      'ip',
      ['netns', 'exec', relayNs.name, process.execPath, join(ROOT, 'tools/relay/start.js')],
      {
        cwd: dir,
        env: {
          PATH: process.env['PATH'],
          TUNNELGATE_STORE: `sqlite:${join(dir, 'store.db')}`,
          TUNNELGATE_API_TOKEN_FILE: join(dir, 'data/api-token'),
          TUNNELGATE_DEMO_TARGET: `${TARGET}:8088`,
          TUNNELGATE_OPENVPN_REMOTE: '172.31.0.1',
          TUNNELGATE_GATEWAY_ACCESS_LOG: join(dir, 'access.log'),
          TUNNELGATE_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const relayOutput = collect(relay);
    let client: ChildProcess | undefined;
    try {
      const printed = await relayOutput.until(/Manage accounts, devices and sessions/, 60_000);
      expect(printed).toMatch(/openvpn\s+172\.31\.0\.1 udp\/1194/);
      const password = /Account "demo" \(password (\S+)\)/.exec(printed)?.[1];
      const profileCommand = /^ {2}(node \S+ profile demo --out demo\.ovpn)$/m.exec(printed)?.[1];
      expect({ password, profileCommand }).toEqual({
        password: expect.any(String),
        profileCommand: expect.any(String),
      });
      // Pasted as printed, on the relay, from where the relay was started.
      const profile = await relayNs.run('sh', ['-c', `cd ${dir} && ${profileCommand}`]);
      expect(profile).toMatchObject({ code: 0 });
      writeFileSync(join(dir, 'credentials'), `demo\n${password}\n`, { mode: 0o600 });
      client = spawn(
        'ip',
        [
          'netns',
          'exec',
          customerNs.name,
          'openvpn',
          '--config',
          join(dir, 'demo.ovpn'),
          '--auth-user-pass',
          join(dir, 'credentials'),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      await collect(client).until(/Initialization Sequence Completed/, 40_000);
      const page = await customerNs.run('curl', [
        '-s',
        '--max-time',
        '10',
        `http://${TARGET}:8088/`,
      ]);
      expect(page.stdout).toMatch(/^hello from the tunnelgate demo target/);
      // Through the phone, not delivered to the relay's own address: the transparent listener
      // carried it for the demo account, and the target saw the phone's connection.
      expect(page.stdout).not.toMatch(/came from 10\.9\.0\./);
      const carried = async () =>
        (existsSync(join(dir, 'access.log')) ? readFileSync(join(dir, 'access.log'), 'utf8') : '')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((entry) => entry['listener'] === 'transparent');
      let entry: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !entry; i++) {
        entry = await carried();
        if (!entry) await new Promise((r) => setTimeout(r, 100));
      }
      expect({ page: page.stdout, entry }).toMatchObject({
        entry: {
          account: 'demo',
          device: 'demo-phone',
          target: `${TARGET}:8088`,
        },
      });
    } finally {
      client?.kill('SIGTERM');
      const exited = new Promise((r) => relay.once('exit', r));
      relay.kill('SIGTERM');
      await exited;
    }
    expect({ code: relay.exitCode, output: relayOutput.text() }).toMatchObject({ code: 0 });
  }, 120_000);
});
