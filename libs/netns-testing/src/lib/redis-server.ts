import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for';

/** A real redis-server on a loopback port, without persistence, answering before it resolves. */
export async function spawnRedisServer(port: number): Promise<ChildProcess> {
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitFor(async () => {
    const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
    return new Promise<boolean>((resolve) => probe.once('exit', (code) => resolve(code === 0)));
  }, 'redis-server');
  return redis;
}
