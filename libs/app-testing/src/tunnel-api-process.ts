import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TunnelApiClient } from '@tunnelgate/api-client';
import { freePort, waitFor } from '@tunnelgate/netns-testing';

/** The workspace, where the built apps are (dist/). */
export const ROOT = join(__dirname, '../../..');

/** The real tunnel-api (the built app), on SQLite in a temporary directory, firewall off. */
export class TunnelApiProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-api-'));
  /** The operators' token; tunnel-api writes the gateways' and the hooks' beside it. */
  readonly tokenFile = join(this.dir, 'api-token');
  readonly gatewayTokenFile = join(this.dir, 'gateway-token');
  readonly hookTokenFile = join(this.dir, 'hook-token');
  readonly token = 'gateway-test-token-0123456789abcdef';
  url = '';
  /** Its log, when started with TUNNELGATE_LOG_LEVEL set (quiet otherwise). */
  log = '';
  private child: ChildProcess | undefined;

  /** `env`: more of tunnel-api's variables for this test. */
  async start(port?: number, env: Record<string, string> = {}): Promise<this> {
    writeFileSync(this.tokenFile, this.token, { mode: 0o600 });
    const listen = port ?? (await freePort());
    this.url = `http://127.0.0.1:${listen}`;
    this.child = spawn(process.execPath, [join(ROOT, 'dist/apps/tunnel-api/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_API_LISTEN: `127.0.0.1:${listen}`,
        TUNNELGATE_STORE: `sqlite:${join(this.dir, 'store.db')}`,
        TUNNELGATE_API_TOKEN_FILE: this.tokenFile,
        TUNNELGATE_FIREWALL: 'off',
        TUNNELGATE_LOG_LEVEL: 'error',
        ...env,
      },
      stdio: ['ignore', env['TUNNELGATE_LOG_LEVEL'] ? 'pipe' : 'ignore', 'ignore'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    await waitFor(async () => (await fetch(`${this.url}/readyz`)).ok, 'tunnel-api');
    return this;
  }

  /** The typed client, with the operators' token or the one in `tokenFile`. */
  client(tokenFile?: string): TunnelApiClient {
    return new TunnelApiClient({
      baseUrl: this.url,
      token: tokenFile ? readFileSync(tokenFile, 'utf8').trim() : this.token,
      timeoutMs: 5000,
    });
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** SIGTERM stops it cleanly; SIGKILL is a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    }
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
