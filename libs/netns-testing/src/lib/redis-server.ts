import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for';

/**
 * A real redis-server on a loopback port, answering before it resolves. Without `dataDir` it
 * keeps nothing; with it, every write goes to an append-only file there (fsync always), so a
 * server stopped and started again on the same directory comes back with everything: an outage,
 * not a loss.
 */
export async function spawnRedisServer(port: number, dataDir?: string): Promise<ChildProcess> {
  const persistence = dataDir
    ? ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
    { stdio: 'ignore' },
  );
  await waitFor(async () => {
    const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
    return new Promise<boolean>((resolve) => probe.once('exit', (code) => resolve(code === 0)));
  }, 'redis-server');
  return redis;
}
