import { freePort, waitFor } from '@tunnelgate/netns-testing';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { EventEmitter } from 'node:events';
import Parser from '@mongodb-js/socksv5/lib/server.parser';
import {
  parseConnectRequest,
  parseSocks5Datagram,
  peekClientHelloSni,
  peekHttpHost,
} from '@tunnelgate/proxy-protocols';
import { realClientHello } from '@tunnelgate/proxy-protocols/testing';
import { seededRandom } from '@tunnelgate/sessions/testing';
import { GatewayInstance } from './support/gateway-instance';
import { TunnelApiProcess } from '@tunnelgate/app-testing';

jest.setTimeout(120_000);

const PARSER_CASES = 100_000;
const SOCKET_CASES = 3_000;

/** Either random bytes or a valid sample with a few bytes flipped, inserted or cut. */
function mutate(sample: Buffer, next: () => number): Buffer {
  if (next() < 0.2) return randomBytes(Math.floor(next() * 300));
  let bytes = Buffer.from(sample);
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * Math.max(1, bytes.length));
    const kind = next();
    if (kind < 0.5) bytes[at] = Math.floor(next() * 256);
    else if (kind < 0.75)
      bytes = Buffer.concat([
        bytes.subarray(0, at),
        randomBytes(1 + Math.floor(next() * 8)),
        bytes.subarray(at),
      ]);
    else bytes = bytes.subarray(0, at);
  }
  return bytes;
}

let SAMPLE_HELLO: Buffer;
const SAMPLE_HEAD = Buffer.from(
  'GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\nProxy-Authorization: Basic YTpi\r\n\r\n',
);
const SAMPLE_CONNECT = Buffer.from(
  'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nProxy-Authorization: Basic YTpi\r\n\r\n',
);
const SAMPLE_SOCKS = Buffer.from([
  5,
  2,
  0,
  2,
  5,
  1,
  0,
  3,
  11,
  ...Buffer.from('example.com'),
  0,
  80,
]);

const SAMPLE_DATAGRAM_V4 = Buffer.from([0, 0, 0, 1, 192, 0, 2, 7, 0, 53, 1, 2, 3]);
const SAMPLE_DATAGRAM_NAME = Buffer.from([
  0,
  0,
  0,
  3,
  11,
  ...Buffer.from('example.com'),
  1,
  187,
  ...Buffer.from('payload'),
]);

describe('fuzz: parsers, in process', () => {
  beforeAll(async () => {
    SAMPLE_HELLO = await realClientHello('www.example.com', 4);
  });

  it(`the ClientHello and Host peeks take ${PARSER_CASES} garbage inputs each without throwing`, () => {
    const next = seededRandom(1234);
    let found = 0;
    const statuses = new Set<string>();
    for (let i = 0; i < PARSER_CASES; i++) {
      const a = peekClientHelloSni(mutate(SAMPLE_HELLO, next));
      const b = peekHttpHost(mutate(SAMPLE_HEAD, next));
      if (a.status === 'found' && a.host) found++;
      statuses.add(a.status).add(b.status);
    }
    expect([...statuses].sort()).toEqual(['found', 'incomplete', 'other']);
    expect(peekClientHelloSni(SAMPLE_HELLO)).toEqual({ status: 'found', host: 'www.example.com' });
    expect(found).toBeGreaterThan(0); // the mutations still reach the SNI code, not only the header checks
  });

  it(`the CONNECT head parser takes ${PARSER_CASES} garbage inputs without throwing`, () => {
    const next = seededRandom(4321);
    const statuses = new Set<string>();
    for (let i = 0; i < PARSER_CASES; i++) {
      const parsed = parseConnectRequest(mutate(SAMPLE_CONNECT, next));
      statuses.add(parsed.status);
      if (parsed.status === 'connect') expect(parsed.headLength).toBeGreaterThan(0);
    }
    // The mutations reach every outcome, so every branch met garbage.
    expect([...statuses].sort()).toEqual(['connect', 'incomplete', 'invalid', 'other']);
  });

  it(`the SOCKS5 request parser takes ${PARSER_CASES} garbage streams without throwing`, () => {
    const next = seededRandom(99);
    let requests = 0;
    for (let i = 0; i < PARSER_CASES; i++) {
      // The parser needs only these of a socket; a PassThrough per case would dominate the run.
      const stream = Object.assign(new EventEmitter(), {
        pause: () => undefined,
        resume: () => undefined,
        unshift: (chunk: Buffer) => queue.unshift(chunk),
      });
      const queue: Buffer[] = [];
      const parser = new Parser(stream as unknown as import('node:net').Socket);
      parser.on('error', () => undefined);
      parser.on('methods', () => {
        parser.authed = true;
        parser.start();
      });
      parser.on('request', () => requests++);
      const input = mutate(SAMPLE_SOCKS, next);
      for (let at = 0; at < input.length; at += 6) queue.push(input.subarray(at, at + 6));
      while (queue.length > 0) stream.emit('data', queue.shift());
    }
    expect(requests).toBeGreaterThan(0);
  });

  it(`the SOCKS5 UDP datagram parser takes ${PARSER_CASES} garbage datagrams without throwing`, () => {
    const next = seededRandom(7);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < PARSER_CASES; i++) {
      const sample = next() < 0.5 ? SAMPLE_DATAGRAM_V4 : SAMPLE_DATAGRAM_NAME;
      const parsed = parseSocks5Datagram(mutate(sample, next));
      const outcome = typeof parsed === 'string' ? (parsed.split(' ')[0] ?? '') : 'parsed';
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // Both the accepted path and the refusals were exercised.
    expect(outcomes.get('parsed')).toBeGreaterThan(0);
    expect(outcomes.size).toBeGreaterThan(4);
  });
});

describe('fuzz: listeners, over sockets', () => {
  const api = new TunnelApiProcess();
  let gateway: GatewayInstance;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    // A relay whose only device has nothing on its proxy ports: whatever a mutated request
    // names (an internet address, a random host name) ends at a refused loopback connection,
    // never in a DNS query or a packet off this machine. Sources on loopback need no password.
    await api.start();
    const closed = await freePort();
    await api.call('PUT', '/v1/devices/dev-fuzz', {
      name: 'phone that refuses everything',
      vpnIp: '127.0.0.2',
      httpPort: closed,
      socksPort: closed,
      basePort: null,
    });
    await api.call('POST', '/v1/devices/dev-fuzz/connected');
    await api.call('POST', '/v1/accounts', {
      id: 'fuzz',
      username: 'fuzz',
      password: 'fuzz password 1',
      deviceId: 'dev-fuzz',
      protocols: ['http', 'socks5'],
      cidrWhitelist: ['127.0.0.1/32'],
    });
    gateway = await new GatewayInstance({
      TUNNELGATE_API_URL: api.url,
      TUNNELGATE_API_TOKEN_FILE: api.gatewayTokenFile,
      TUNNELGATE_GATEWAY_HANDSHAKE_TIMEOUT_MS: '200',
      TUNNELGATE_GATEWAY_CONNECT_TIMEOUT_MS: '300',
      TUNNELGATE_GATEWAY_AUTH_FAILURES_PER_MINUTE: '100000',
      TUNNELGATE_LOG_LEVEL: 'error',
    }).start();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await gateway?.close();
    await api.remove();
  });

  /** Sends `input` in pieces, half-closes, and resolves once the gateway has closed the socket. */
  function probe(port: number, input: Buffer, next: () => number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 5000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.on('connect', () => {
        for (let at = 0; at < input.length; at += 1 + Math.floor(next() * 40))
          socket.write(input.subarray(at, at + 40));
        if (next() < 0.5) socket.end();
      });
    });
  }

  it.each([
    ['SOCKS5 negotiation', 'socks5', SAMPLE_SOCKS],
    ['HTTP request head', 'http', SAMPLE_HEAD],
    ['CONNECT request head', 'http', SAMPLE_CONNECT],
  ] as const)(
    `the %s takes ${SOCKET_CASES} garbage connections: no crash, every socket closed`,
    async (name, listener, sample) => {
      const port = gateway.port(listener);
      const next = seededRandom(name.length * 7);
      let closedByGateway = 0;
      for (let batch = 0; batch < SOCKET_CASES; batch += 250) {
        const results = await Promise.all(
          Array.from({ length: 250 }, () => probe(port, mutate(sample, next), next)),
        );
        closedByGateway += results.filter(Boolean).length;
      }
      expect(closedByGateway).toBe(SOCKET_CASES);
      await waitFor(
        async () => gateway.service.registry.size === 0,
        'the gateway to forget every connection',
      );
      expect(unhandled).toEqual([]);
      expect((await fetch(`${gateway.adminUrl}/healthz`)).status).toBe(200);
    },
  );
});
