import { freePort, waitFor } from '@tunnelgate/netns-testing';
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { closed, connected, connectTunnel, readBytes } from './support/raw-clients';

/** Sends one absolute-URI GET on a kept-alive connection; resolves when the whole answer
 * (`Content-Length` bytes of body) has arrived. */
async function keptAliveGet(socket: Socket, url: string): Promise<string> {
  socket.write(`GET ${url} HTTP/1.1\r\nHost: origin\r\nConnection: keep-alive\r\n\r\n`);
  let text = '';
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const [head, body = ''] = text.split('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(head ?? '');
      if (length && body.length >= Number(length[1])) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('close', resolve);
  });
  return text;
}
import { ROOT } from '@tunnelgate/app-testing';

/**
 * SIGTERM on a gateway with a live tunnel and kept-alive HTTP clients: it stops accepting at
 * once, closes the kept-alive connections as soon as they have no request to answer, keeps
 * relaying the tunnel it has until the drain deadline, then closes it and exits 0.
 */
describe('graceful drain on SIGTERM', () => {
  let echo: Server;
  let origin: HttpServer;
  let originUrl: string;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket).on('error', () => undefined));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    origin = createHttpServer((req, res) => {
      const answer = () => res.end(`answered ${req.url}`);
      if (req.url === '/slow') setTimeout(answer, 800);
      else answer();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    echo.close();
    origin.close();
  });

  it('refuses new clients, closes idle kept-alive clients, relays the live tunnel until the deadline, then exits 0', async () => {
    const [http, admin] = [await freePort(), await freePort()];
    const gateway = spawn(process.execPath, [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_GATEWAY_MODE: 'device',
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.1:${http}`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
        TUNNELGATE_GATEWAY_DRAIN_TIMEOUT_MS: '4000',
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve));
    // Ready, not just alive: under the cluster (the default) the primary answers /healthz before
    // its workers accept.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/readyz`)).ok, 'the gateway');
    const tunnel = await connectTunnel(http, `127.0.0.1:${(echo.address() as AddressInfo).port}`);
    expect(tunnel.status).toMatch(/ 200 /);
    const idle = await connected(http);
    expect(await keptAliveGet(idle, `${originUrl}/fast`)).toMatch(/answered \/fast$/);
    const busy = await connected(http);
    expect(await keptAliveGet(busy, `${originUrl}/fast`)).toMatch(/answered \/fast$/);
    const slowAnswer = keptAliveGet(busy, `${originUrl}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 200));

    gateway.kill('SIGTERM');
    // The kept-alive connections close once they have nothing to answer; the busy one gets its
    // answer whole first. The tunnel meanwhile lives on (checked below, after both closed).
    expect(await closed(idle, 10_000)).toBe(true);
    expect(await slowAnswer).toMatch(/answered \/slow$/);
    expect(await closed(busy, 10_000)).toBe(true);
    await waitFor(
      async () =>
        !(await connected(http).then(
          (s) => (s.destroy(), true),
          () => false,
        )),
      'the listener to stop accepting',
    );
    tunnel.socket.write('still relayed while draining');
    expect((await readBytes(tunnel.socket, 28)).toString()).toBe('still relayed while draining');
    expect(await closed(tunnel.socket, 10_000)).toBe(true);
    expect(await exited).toBe(0);
  }, 30_000);
});
