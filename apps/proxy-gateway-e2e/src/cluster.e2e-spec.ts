import { freePort, waitFor } from '@tunnelgate/netns-testing';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { connected, connectTunnel, readBytes } from './support/raw-clients';
import { ROOT } from '@tunnelgate/app-testing';

const TUNNELS = 16;

/** The pids of the processes listening on a TCP port (ss, from iproute2). */
function listenerPids(port: number): number[] {
  const lines = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  return [...lines.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])).sort();
}

/** Whether a tunnel still carries bytes both ways. */
async function echoes(socket: Socket, text: string): Promise<boolean> {
  if (socket.destroyed) return false;
  socket.write(text);
  const answer = await Promise.race([
    readBytes(socket, text.length),
    new Promise<Buffer>((resolve) => setTimeout(() => resolve(Buffer.alloc(0)), 2000)),
  ]);
  return answer.toString() === text;
}

/**
 * The gateway with TUNNELGATE_GATEWAY_WORKERS=2 (issue 23), as main.js runs it: two workers
 * each bound to the same port (SO_REUSEPORT, the primary out of the data path), one /metrics
 * for the node, a dead worker replaced without touching the other's tunnels, and a drain of
 * every worker on SIGTERM. Device mode (direct exits) keeps tunnel-api out of it: the limits and
 * usage shared across workers are the store's, tested with two relays in two-relays.e2e-spec.
 */
describe('gateway cluster: N workers on one port', () => {
  let echo: Server;
  let echoTarget: string;
  let gateway: ChildProcess;
  let exited: Promise<number | null>;
  let http: number;
  let admin: number;
  const tunnels: Socket[] = [];

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  };

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket).on('error', () => undefined));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    echoTarget = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
    [http, admin] = [await freePort(), await freePort()];
    gateway = spawn(process.execPath, [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_GATEWAY_MODE: 'device',
        TUNNELGATE_GATEWAY_WORKERS: '2',
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.1:${http}`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
        TUNNELGATE_GATEWAY_DRAIN_TIMEOUT_MS: '20000',
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
    exited = new Promise((resolve) => gateway.once('exit', resolve));
    // Ready means one worker accepts (the node can serve); the test wants both.
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${admin}/readyz`)).status === 200,
      'the node ready',
    );
    await waitFor(
      async () => (await metric('tunnelgate_gateway_workers{')) === 2,
      'both workers up',
    );
  });

  afterAll(() => {
    for (const socket of tunnels) socket.destroy();
    gateway.kill('SIGKILL');
    echo.close();
  });

  it('runs two workers that each bind the port, and one /metrics that sums them', async () => {
    const pids = listenerPids(http);
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(gateway.pid);
    expect(await metric('tunnelgate_gateway_workers{')).toBe(2);

    for (let i = 0; i < TUNNELS; i++) {
      const tunnel = await connectTunnel(http, echoTarget);
      expect(tunnel.status).toMatch(/ 200 /);
      tunnels.push(tunnel.socket);
    }
    for (const [i, socket] of tunnels.entries())
      expect(await echoes(socket, `hello ${i}`)).toBe(true);
    expect(await metric('tunnelgate_gateway_connections_active{listener="http"')).toBe(TUNNELS);
  });

  it("replaces a worker that dies, without touching the other worker's tunnels", async () => {
    const [victim, survivor] = listenerPids(http) as [number, number];
    process.kill(victim, 'SIGKILL');

    const alive: boolean[] = [];
    for (const [i, socket] of tunnels.entries()) alive.push(await echoes(socket, `again ${i}`));
    const survived = alive.filter(Boolean).length;
    // The kernel spread the 16 tunnels by hash over both workers: some went with the victim,
    // the survivor's all still relay.
    expect(survived).toBeGreaterThan(0);
    expect(survived).toBeLessThan(TUNNELS);

    await waitFor(async () => {
      const pids = listenerPids(http);
      return pids.length === 2 && pids.includes(survivor) && !pids.includes(victim);
    }, 'a replacement worker listening');
    await waitFor(
      async () => (await metric('tunnelgate_gateway_workers{')) === 2,
      'two workers up',
    );
    expect(await metric('tunnelgate_gateway_worker_restarts_total')).toBe(1);
    expect(await metric('tunnelgate_gateway_connections_active{listener="http"')).toBe(survived);

    const fresh = await connectTunnel(http, echoTarget);
    expect(fresh.status).toMatch(/ 200 /);
    expect(await echoes(fresh.socket, 'fresh')).toBe(true);
    fresh.socket.destroy();
  });

  it('drains every worker on SIGTERM: no new clients, live tunnels relay until they close, then exit 0', async () => {
    const live = tunnels.filter((socket) => !socket.destroyed);
    expect(live.length).toBeGreaterThan(0);
    gateway.kill('SIGTERM');
    await waitFor(async () => listenerPids(http).length === 0, 'the listeners closed');
    await expect(connected(http)).rejects.toThrow(/ECONNREFUSED/);
    for (const socket of live) expect(await echoes(socket, 'draining')).toBe(true);

    for (const socket of live) socket.end();
    expect(await exited).toBe(0);
  });

  it('exits 1 when no worker can start (the port is taken), instead of replacing them forever', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as AddressInfo).port;
    const doomed = spawn(process.execPath, [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_GATEWAY_MODE: 'device',
        TUNNELGATE_GATEWAY_WORKERS: '2',
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.1:${port}`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
    const code = await new Promise<number | null>((resolve) => doomed.once('exit', resolve));
    taken.close();
    expect(code).toBe(1);
  });
});
