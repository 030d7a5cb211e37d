/** Network namespaces for tests: real kernels, networks that exist only inside the test. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/** Root is needed for namespaces and iptables; CI runs as root, so nothing skips there. */
export const isRoot = process.getuid?.() === 0;

export function describeAsRoot(name: string, body: () => void): void {
  if (!isRoot) {
    // Loud on purpose: a skipped kernel test must never pass unnoticed.
    console.warn(`\n!!! SKIPPED (needs root for netns + iptables): ${name}\n`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}

let counter = 0;

/** A network namespace of this test run, always removed by `remove()`. */
export class Netns {
  readonly name = `tg${process.pid}x${++counter}`;
  private readonly children: ChildProcess[] = [];

  constructor() {
    execFileSync('ip', ['netns', 'add', this.name]);
    this.exec('ip', ['link', 'set', 'lo', 'up']);
  }

  exec(file: string, args: string[], input?: string): string {
    return execFileSync('ip', ['netns', 'exec', this.name, file, ...args], {
      encoding: 'utf8',
      input,
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
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
    try {
      execFileSync('ip', ['netns', 'del', this.name]);
    } catch {
      // already gone
    }
  }
}

/** A veth pair between two namespaces, each end named and addressed. */
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
  a.exec('ip', ['addr', 'add', aCidr, 'dev', aName]);
  b.exec('ip', ['addr', 'add', bCidr, 'dev', bName]);
  a.exec('ip', ['link', 'set', aName, 'up']);
  b.exec('ip', ['link', 'set', bName, 'up']);
}

/** Our chains (and jumps to them) as iptables-save prints them: what must stay byte-identical. */
export function ownedLines(save: string, chainPattern: RegExp): string {
  return save
    .split('\n')
    .filter((line) => {
      const m = /^(?::|-A )(\S+)/.exec(line);
      return m !== null && chainPattern.test(m[1] ?? '');
    })
    .map((line) => line.replace(/\[\d+:\d+\]$/, ''))
    .join('\n');
}
