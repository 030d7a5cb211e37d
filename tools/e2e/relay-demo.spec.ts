import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
