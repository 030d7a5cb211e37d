import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const HOOK = join(__dirname, '../../../dist/apps/hook-cli/main.js');

export interface HookRun {
  code: number | null;
  stderr: string;
  /** Until the hook process exited (a deferred worker may log after that). */
  wallMs: number;
  /** The hook's own log lines, parsed. */
  logs: Record<string, unknown>[];
}

/** Runs the built hook as OpenVPN would: the executable file itself, an env, a file argument. */
export function runHookProcess(args: string[], env: Record<string, string>): Promise<HookRun> {
  const started = Date.now();
  // A clean environment, as OpenVPN gives its scripts; PATH so `#!/usr/bin/env node` resolves.
  const child = spawn(HOOK, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let wallMs = 0;
  child.on('exit', () => (wallMs = Date.now() - started));
  return new Promise((resolve) => {
    // 'close' waits for stderr, which a deferred worker shares: its log line is included.
    child.on('close', (code) => {
      const logs = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stderr, wallMs, logs });
    });
  });
}
