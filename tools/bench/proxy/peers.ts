import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { freePort } from '@tunnelgate/netns-testing';
import { availableParallelism } from 'node:os';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export type TunnelKind = 'http' | 'socks5';

/** A proxy under test: one process, the protocols it speaks and where. */
export interface Peer {
  name: string;
  kind: TunnelKind;
  port: number;
  /** Speaks absolute-URI forwarding (keep-alive GETs through the proxy). */
  forwards: boolean;
  process: ChildProcess;
  /** The gateway's ops port (metrics), for the peers that have one. */
  admin?: string;
}

/**
 * The proxy under test gets a core of its own and the bench (client and origin) the others:
 * sharing every core made each figure depend on how the scheduler interleaved three processes.
 */
const PROXY_CPU = availableParallelism() - 1;
export const pinned = PROXY_CPU > 0;

/** Keeps this process (and the origin it starts later) off the proxies' core. */
export function pinBenchToOtherCores(): void {
  if (pinned)
    execFileSync('taskset', ['-a', '-p', '-c', `0-${PROXY_CPU - 1}`, String(process.pid)]);
}

/** Spawns a proxy under test, on its own core unless `pin` is false. */
export function spawnProxy(
  command: string,
  args: string[],
  options: SpawnOptions,
  pin = pinned,
): ChildProcess {
  return pin
    ? spawn('taskset', ['-c', String(PROXY_CPU), command, ...args], options)
    : spawn(command, args, options);
}

export async function waitForPort(port: number, host = '127.0.0.1'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host, () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function statFields(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU time of every thread of a process, in ns (schedstat: tick-sized /proc/stat figures are
 * too coarse for a few hundred tunnels). */
export function cpuNs(pid: number): number {
  let sum = 0;
  for (const task of readdirSync(`/proc/${pid}/task`))
    sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
  return sum;
}

/** CPU seconds of a process and every process below it (a gateway's primary and workers). */
export function treeCpuSeconds(root: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(statFields(Number(entry))[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const total = (pid: number): number =>
    cpuSeconds(pid) + (children.get(pid) ?? []).reduce((sum, child) => sum + total(child), 0);
  return total(root);
}

export function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

const ROOT = join(__dirname, '../../..');

/**
 * The gateway in device mode. One process by default, pinned like every peer (the proxy bench
 * reads its CPU and memory by pid); `workers` > 1 runs the cluster, unpinned so it can use every
 * core (read its CPU with treeCpuSeconds).
 */
export async function startGateway({ workers = 1 } = {}): Promise<Peer[]> {
  const [http, socks, admin] = [await freePort(), await freePort(), await freePort()];
  const child = spawnProxy(
    process.execPath,
    [join(ROOT, 'dist/apps/proxy-gateway/main.js')],
    {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_GATEWAY_MODE: 'device',
        TUNNELGATE_GATEWAY_WORKERS: String(workers),
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.1:${http}`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: `127.0.0.1:${socks}`,
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
        TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS: '600000',
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    },
    pinned && workers === 1,
  );
  await waitForPort(http);
  await waitForPort(socks);
  const ops = `http://127.0.0.1:${admin}`;
  return [
    {
      name: 'tunnelgate HTTP',
      kind: 'http',
      port: http,
      forwards: true,
      process: child,
      admin: ops,
    },
    {
      name: 'tunnelgate SOCKS5',
      kind: 'socks5',
      port: socks,
      forwards: false,
      process: child,
      admin: ops,
    },
  ];
}

/** tinyproxy on `host`; `pin` false keeps it off the proxies' core (as another bench's phone). */
export async function startTinyproxy(dir: string, host = '127.0.0.1', pin = pinned): Promise<Peer> {
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(
    conf,
    `Port ${port}\nListen ${host}\nTimeout 600\nAllow 127.0.0.0/8\nMaxClients 6000\nLogLevel Critical\n`,
  );
  const child = spawnProxy('tinyproxy', ['-d', '-c', conf], { stdio: 'ignore' }, pin);
  await waitForPort(port, host);
  return { name: 'tinyproxy', kind: 'http', port, forwards: true, process: child };
}

export async function startMicrosocks(host = '127.0.0.1', pin = pinned): Promise<Peer> {
  const port = await freePort();
  const child = spawnProxy(
    'microsocks',
    ['-i', host, '-p', String(port)],
    { stdio: 'ignore' },
    pin,
  );
  await waitForPort(port, host);
  return { name: 'microsocks', kind: 'socks5', port, forwards: false, process: child };
}

export async function startProxyChain(): Promise<Peer> {
  const port = await freePort();
  const script = `const { Server } = require('proxy-chain'); new Server({ port: ${port}, host: '127.0.0.1', verbose: false }).listen();`;
  const child = spawnProxy(process.execPath, ['-e', script], { cwd: ROOT, stdio: 'ignore' });
  await waitForPort(port);
  return { name: 'proxy-chain', kind: 'http', port, forwards: true, process: child };
}

/** The origin: `/bytes/N` streams N bytes, anything else answers a few bytes; keep-alive. */
export async function startTarget(): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const script = `
    const block = Buffer.alloc(256 * 1024, 120);
    const server = require('node:http').createServer((req, res) => {
      const size = /^\\/bytes\\/(\\d+)$/.exec(req.url);
      if (!size) return res.end('ok');
      let left = Number(size[1]);
      res.writeHead(200, { 'content-length': left });
      const pump = () => { while (left > 0) { const part = block.subarray(0, Math.min(left, block.length)); left -= part.length; if (!res.write(part)) return res.once('drain', pump); } res.end(); };
      pump();
    });
    server.keepAliveTimeout = 600000;
    server.maxConnections = 20000;
    server.listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  await waitForPort(port);
  return { port, process: child };
}
