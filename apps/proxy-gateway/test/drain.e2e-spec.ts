import { waitFor } from '@tunnelgate/netns-testing';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { closed, connected, connectTunnel, readBytes } from './support/raw-clients';
import { freePort, ROOT } from './support/tunnel-api-process';

/**
 * SIGTERM on a gateway with a live tunnel: it stops accepting at once, keeps relaying the
 * tunnel it has until the drain deadline, then closes it and exits 0.
 */
describe('graceful drain on SIGTERM', () => {
  let echo: Server;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket).on('error', () => undefined));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(() => echo.close());

  it('refuses new clients, relays the live tunnel until the deadline, then closes it and exits 0', async () => {
    const [http, admin] = [await freePort(), await freePort()];
    const gateway = spawn(process.execPath, [join(ROOT, 'dist/apps/proxy-gateway/main.js')], {
      env: {
        PATH: process.env['PATH'],
        TUNNELGATE_GATEWAY_MODE: 'device',
        TUNNELGATE_GATEWAY_HTTP_LISTEN: `127.0.0.1:${http}`,
        TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'off',
        TUNNELGATE_GATEWAY_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
        TUNNELGATE_GATEWAY_DRAIN_TIMEOUT_MS: '1500',
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', resolve));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/healthz`)).ok, 'the gateway');
    const tunnel = await connectTunnel(http, `127.0.0.1:${(echo.address() as AddressInfo).port}`);
    expect(tunnel.status).toMatch(/ 200 /);

    gateway.kill('SIGTERM');
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
