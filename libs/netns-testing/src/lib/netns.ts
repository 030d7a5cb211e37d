import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const PREFIX = 'tg';
let counter = 0;
let firstUse = true;
const live = new Set<Netns>();

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A network namespace of this test run. `remove()` kills every process inside it (also ones a
 * test never started itself, such as a hook's detached worker) before deleting it; an exit or
 * Ctrl-C removes what is left, and namespaces of runs that died without cleaning up are removed
 * by the next run.
 */
export class Netns {
  readonly name = `${PREFIX}${process.pid}x${++counter}`;
  private readonly children: ChildProcess[] = [];

  constructor() {
    if (firstUse) {
      firstUse = false;
      removeStaleNamespaces();
      removeOnExit();
    }
    execFileSync('ip', ['netns', 'add', this.name]);
    live.add(this);
    this.exec('ip', ['link', 'set', 'lo', 'up']);
  }

  exec(file: string, args: string[], input?: string): string {
    return execFileSync('ip', ['netns', 'exec', this.name, file, ...args], {
      encoding: 'utf8',
      input,
    });
  }

  /** Like `exec`, but the event loop keeps turning (logs of spawned processes keep flowing). */
  run(file: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        'ip',
        ['netns', 'exec', this.name, file, ...args],
        { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** A long-running process inside the namespace; killed on `remove()`. */
  spawn(file: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, file, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env && { env: { PATH: process.env['PATH'], ...env } }),
    });
    this.children.push(child);
    return child;
  }

  /** Names only processes in this namespace resolve (`ip netns exec` mounts it on /etc/hosts). */
  hosts(lines: string): void {
    mkdirSync(`/etc/netns/${this.name}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.name}/hosts`, lines);
  }

  remove(): void {
    for (const child of this.children) child.kill('SIGKILL');
    deleteNamespace(this.name);
    live.delete(this);
  }
}

function deleteNamespace(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // no such namespace
  }
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces named after a test process that no longer exists (a SIGKILLed jest worker). */
function removeStaleNamespaces(): void {
  const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '');
  for (const name of names) {
    const owner = new RegExp(`^${PREFIX}(\\d+)x\\d+$`).exec(name);
    if (owner && !isAlive(Number(owner[1]))) deleteNamespace(name);
  }
}

function removeOnExit(): void {
  const removeAll = () => {
    for (const ns of [...live]) ns.remove();
  };
  process.once('exit', removeAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeAll();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * A veth pair between two namespaces, each end named and addressed as `ip addr add` takes it:
 * `10.0.0.1/24`, or point to point like a phone's tunnel: `192.168.255.1 peer 192.168.255.2`.
 */
export function link(
  a: Netns,
  aName: string,
  aCidr: string,
  b: Netns,
  bName: string,
  bCidr: string,
): void {
  execFileSync('ip', [
    'link',
    'add',
    aName,
    'netns',
    a.name,
    'type',
    'veth',
    'peer',
    'name',
    bName,
    'netns',
    b.name,
  ]);
  a.exec('ip', ['addr', 'add', ...aCidr.split(' '), 'dev', aName]);
  b.exec('ip', ['addr', 'add', ...bCidr.split(' '), 'dev', bName]);
  a.exec('ip', ['link', 'set', aName, 'up']);
  b.exec('ip', ['link', 'set', bName, 'up']);
}
