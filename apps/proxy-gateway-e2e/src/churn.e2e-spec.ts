import { freePort, waitFor } from '@tunnelgate/netns-testing';
import { readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GatewayInstance } from './support/gateway-instance';
import { simulatedPhone } from './support/simulated-phone';
import { connectTunnel, readBytes, socks5Connect, ipv4Address } from './support/raw-clients';
import { Socks5UdpClient, udpEcho } from './support/socks5-udp-client';
import { Targets } from './support/targets';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

jest.setTimeout(240_000);

const CONNECTIONS = 20_000;
const CONCURRENCY = 64;
const UDP_ASSOCIATIONS = 2_000;
const PASSWORD = 'churn password 1';

const openFds = () => readdirSync('/proc/self/fd').length;

/**
 * 20,000 connections through a relay gateway and its device, of five kinds mixed, then the
 * process's open descriptors and both gateways' connection tables must be back where they were.
 */
describe('connection churn (leak check)', () => {
  const api = new TunnelApiProcess();
  const targets = new Targets();
  let echo: Server;
  let device: GatewayInstance;
  let relay: GatewayInstance;
  let closedPort: number;

  beforeAll(async () => {
    await targets.start();
    echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s).on('error', () => undefined));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    closedPort = await freePort();
    // The suite outlasts tunnel-api's 60 s heartbeat timeout, and this phone sends none.
    await api.start(undefined, {
      TUNNELGATE_DEVICE_OFFLINE_AFTER_MS: '3600000',
      // Its wrong passwords are load, not an attack: every one must reach the hash.
      TUNNELGATE_LOGIN_FAILURES_PER_IP: '100000',
      TUNNELGATE_LOGIN_FAILURES_PER_USER: '100000',
    });
    device = await simulatedPhone({ TUNNELGATE_LOG_LEVEL: 'warn' }).start();
    await api.call('PUT', '/v1/devices/dev-churn', {
      name: 'phone',
      vpnIp: '127.0.0.2',
      httpPort: device.port('http'),
      socksPort: device.port('socks5'),
      basePort: null,
    });
    await api.call('POST', '/v1/devices/dev-churn/connected');
    await api.call('POST', '/v1/accounts', {
      id: 'churn',
      username: 'churn',
      password: PASSWORD,
      deviceId: 'dev-churn',
    });
    relay = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
      TUNNELGATE_GATEWAY_AUTH_FAILURES_PER_MINUTE: '100000',
      TUNNELGATE_LOG_LEVEL: 'warn',
    }).start();
  });

  afterAll(async () => {
    await relay?.close();
    await device?.close();
    await api.remove();
    await targets.close();
    echo?.close();
  });

  /** One connection of kind `i % 5`; resolves when the client side has closed. */
  async function oneConnection(i: number): Promise<string> {
    const http = relay.port('http');
    const target = `127.0.0.1:${targets.httpPort}`;
    const finished = (socket: Socket) =>
      new Promise<void>((resolve) =>
        socket.destroyed ? resolve() : socket.once('close', () => resolve()),
      );
    switch (i % 5) {
      case 0: {
        const { socket, status } = await connectTunnel(http, target, `churn:${PASSWORD}`);
        socket.write(`GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        socket.resume();
        await finished(socket);
        return status.includes(' 200 ') ? 'success' : `unexpected ${status}`;
      }
      case 1: {
        // Every 100th a wrong password (tunnel-api hashes it); the others bring none at all.
        const { socket, status } = await connectTunnel(
          http,
          target,
          i % 100 === 1 ? 'churn:wrong' : undefined,
        );
        socket.destroy();
        return status.includes(' 407 ') ? 'auth-failure' : `unexpected ${status}`;
      }
      case 2: {
        const { socket, status } = await connectTunnel(
          http,
          `127.0.0.1:${closedPort}`,
          `churn:${PASSWORD}`,
        );
        socket.destroy();
        return status.includes(' 502 ') ? 'upstream-refused' : `unexpected ${status}`;
      }
      case 3: {
        const { socket } = await connectTunnel(http, target, `churn:${PASSWORD}`);
        socket.write(`GET /bytes/2000000 HTTP/1.1\r\nHost: x\r\n\r\n`);
        await readBytes(socket, 1);
        socket.destroy();
        return 'client-abort';
      }
      default: {
        const { socket, reply } = await socks5Connect(
          relay.port('socks5'),
          ipv4Address('127.0.0.1'),
          (echo.address() as AddressInfo).port,
          { username: 'churn', password: PASSWORD },
        );
        if (reply !== 0) {
          socket.destroy();
          return `unexpected socks reply ${reply}`;
        }
        socket.end('half-closed after this');
        const back = await readBytes(socket, 1 << 20);
        await finished(socket);
        return back.toString() === 'half-closed after this' ? 'half-close' : 'unexpected echo';
      }
    }
  }

  /** Runs `one(0..count-1)`, `concurrency` at a time, and counts what each came to. */
  async function runAll(
    count: number,
    concurrency: number,
    one: (i: number) => Promise<string>,
  ): Promise<Record<string, number>> {
    const outcomes = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const outcome = await one(next++).catch((error: Error) => `error ${error.message}`);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }),
    );
    return Object.fromEntries(outcomes);
  }

  const phoneKnownAs = (status: string) =>
    (
      relay.service.gate as unknown as { directory: { device(id: string): { status: string } } }
    ).directory.device('dev-churn')?.status === status;

  /**
   * The phone offline and back: the relay closes its warm connections to it at once (the pool
   * starts empty again at the next tunnel), so the descriptors can be compared without them.
   */
  async function phoneOfflineAndBack(): Promise<void> {
    await api.call('POST', '/v1/devices/dev-churn/disconnected');
    await waitFor(
      async () => phoneKnownAs('offline') && relay.service.gate.warmConnections === 0,
      'the warm pool emptied',
    );
    await api.call('POST', '/v1/devices/dev-churn/connected');
    await waitFor(async () => phoneKnownAs('online'), 'the phone back online');
  }

  /** Waits (bounded) until both gateways hold nothing and the descriptors are back. */
  async function settled(baseline: number, what: string): Promise<void> {
    await waitFor(
      async () =>
        relay.service.registry.size === 0 &&
        device.service.registry.size === 0 &&
        openFds() <= baseline,
      `${what} and descriptors back to the baseline`,
      300,
    ).catch(() => undefined);
  }

  it('leaves no descriptor and no connection behind, warm connections to the phone included', async () => {
    // Warm up: pools and lazy modules exist before the baseline is taken.
    for (let i = 0; i < 10; i++) await oneConnection(i);
    await phoneOfflineAndBack();
    await waitFor(
      async () => relay.service.registry.size === 0 && device.service.registry.size === 0,
      'warm-up to settle',
    );
    const baseline = openFds();
    const warmDials = async () =>
      Number(
        /^tunnelgate_gateway_device_dials_total\{[^}]*kind="warm"[^}]*\} (\d+)/m.exec(
          await relay.metrics(),
        )?.[1] ?? 0,
      );
    const warmBefore = await warmDials();

    const outcomes = await runAll(CONNECTIONS, CONCURRENCY, oneConnection);
    expect(outcomes).toEqual({
      success: CONNECTIONS / 5,
      'auth-failure': CONNECTIONS / 5,
      'upstream-refused': CONNECTIONS / 5,
      'client-abort': CONNECTIONS / 5,
      'half-close': CONNECTIONS / 5,
    });
    // The tunnels took warm connections, and warm ones were left when the churn stopped.
    expect((await warmDials()) - warmBefore).toBeGreaterThan(CONNECTIONS / 10);
    expect(relay.service.gate.warmConnections).toBeGreaterThan(0);
    await phoneOfflineAndBack();
    await settled(baseline, 'connections');
    const left = [...relay.service.registry.all(), ...device.service.registry.all()].map(
      (t) => `${t.listener} client:${t.client.destroyed} upstream:${t.upstream?.destroyed}`,
    );
    expect({ left: left.slice(0, 5), count: left.length }).toEqual({ left: [], count: 0 });
    // Checked before the metrics are fetched below: fetch keeps its own connection open.
    expect(openFds()).toBeLessThanOrEqual(baseline);
    for (const gateway of [relay, device])
      expect(await gateway.metrics()).not.toMatch(
        /^tunnelgate_gateway_connections_active\{[^}]*\} [1-9]/m,
      );
  });

  it('leaves no descriptor behind after UDP associations', async () => {
    const udpTarget = await udpEcho();
    const credentials = { username: 'churn', password: PASSWORD };
    /** Half exchange a datagram before closing, half close right after the setup. */
    const oneAssociation = async (i: number): Promise<string> => {
      const { reply, client } = await Socks5UdpClient.associate(relay.port('socks5'), credentials);
      if (!client) return `unexpected socks reply ${reply}`;
      let outcome = 'closed-idle';
      if (i % 2 === 0) {
        client.send('127.0.0.1', udpTarget.port, Buffer.from(`datagram ${i}`));
        const back = await client.next(5000);
        outcome = back?.subarray(10).toString() === `echo:datagram ${i}` ? 'echoed' : 'lost';
      }
      client.close();
      return outcome;
    };
    await oneAssociation(0);
    await waitFor(
      async () => relay.service.registry.size === 0 && device.service.registry.size === 0,
      'warm-up to settle',
    );
    const baseline = openFds();
    const outcomes = await runAll(UDP_ASSOCIATIONS, 16, oneAssociation);
    udpTarget.close();
    expect(outcomes).toEqual({
      echoed: UDP_ASSOCIATIONS / 2,
      'closed-idle': UDP_ASSOCIATIONS / 2,
    });
    await settled(baseline, 'associations');
    expect(relay.service.registry.size + device.service.registry.size).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(baseline);
  });
});
