import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const HOOK = join(__dirname, '../../../dist/apps/hook-cli/main.js');

export interface HookRun {
  code: number | null;
  stderr: string;
  /** Until the hook process exited (a deferred worker may log after that). */
  wallMs: number;
  /** The hook's own log lines, parsed (a deferred worker's included). */
  logs: Record<string, unknown>[];
}

export interface StartedHook {
  /** The hook process itself has exited: what OpenVPN waits for. */
  exited: Promise<{ code: number | null; wallMs: number }>;
  /** Its stderr closed too, which a deferred worker shares: everything has been logged. */
  done: Promise<HookRun>;
}

/** Runs the built hook as OpenVPN would: the executable file itself, an env, a file argument. */
export function startHookProcess(args: string[], env: Record<string, string>): StartedHook {
  const started = Date.now();
  // A clean environment, as OpenVPN gives its scripts; PATH so `#!/usr/bin/env node` resolves.
  const child = spawn(HOOK, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; wallMs: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, wallMs: Date.now() - started })),
  );
  const done = new Promise<HookRun>((resolve) => {
    child.on('close', () => {
      void exited.then(({ code, wallMs }) => {
        const logs = stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        resolve({ code, stderr, wallMs, logs });
      });
    });
  });
  return { exited, done };
}

export function runHookProcess(args: string[], env: Record<string, string>): Promise<HookRun> {
  return startHookProcess(args, env).done;
}
