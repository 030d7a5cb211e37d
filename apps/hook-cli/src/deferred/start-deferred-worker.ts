export const DEFERRED_WORKER_FLAG = '--deferred-worker';

/**
 * Hands the rest of the work to a detached copy of this hook, so OpenVPN (single-threaded: a
 * waiting hook freezes every tunnel) goes on serving the other clients. The worker inherits
 * stderr, so its log line lands in OpenVPN's log too. `secret` (the credentials, whose file
 * OpenVPN deletes as soon as we return) goes through a pipe, never env or argv: a via-env
 * `password` is taken out of the worker's environment, which /proc shows to the same user.
 * Resolves once the worker has its input.
 */
export async function startDeferredWorker(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  secret = '',
): Promise<void> {
  // Loaded here, not at the top: synchronous runs (every disconnect) need no child processes.
  const { spawn } = await import('node:child_process');
  const script = process.argv[1] ?? '';
  const { password: _password, ...withoutPassword } = env;
  const child = spawn(process.execPath, [script, DEFERRED_WORKER_FLAG, ...argv], {
    env: withoutPassword,
    detached: true,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  child.unref();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdin.once('error', reject);
    child.stdin.end(secret, () => resolve());
  });
}

/** In the worker: what the parent piped in. */
export async function readWorkerInput(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
