import {
  destinationPolicy,
  parseBasicCredentials,
  SOCKS5_REPLY,
  socks5Reply,
  socks5ReplyForError,
  stripHopByHop,
} from '../src';
import { inCidrs, parseCidrs } from '@tunnelgate/sessions';
import { seededRandom } from '@tunnelgate/sessions/testing';
import * as ipaddr from 'ipaddr.js';

describe('destinationPolicy (direct upstream SSRF guard)', () => {
  const refuse = destinationPolicy({ blocked: ['100.64.9.0/24'], allowed: ['127.0.0.2/32'] });

  it.each([
    '127.0.0.1',
    '169.254.169.254',
    '10.1.2.3',
    '192.168.255.10',
    '172.16.0.1',
    '0.0.0.0',
    '::1',
    '::ffff:127.0.0.1',
    'fe80::1',
    'fd00::1',
    '224.0.0.1',
    '100.64.9.7',
    // IPv4 inside IPv6: compatible (deprecated), NAT64, 6to4, Teredo, SIIT.
    '::7f00:1',
    '::a9fe:a9fe',
    '::5db8:d822',
    '64:ff9b::7f00:1',
    '64:ff9b:1::a9fe:a9fe',
    '2002:7f00:1::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '::ffff:0:7f00:1',
  ])('refuses %s', (ip) => expect(refuse(ip)).toEqual(expect.any(String)));

  it.each(['93.184.216.34', '2606:2800:220:1::1', '127.0.0.2', '::ffff:93.184.216.34'])(
    'allows %s',
    (ip) => expect(refuse(ip)).toBeUndefined(),
  );

  it('refuses what is not an address', () => expect(refuse('example.com')).toMatch(/not an IP/));

  it('gives the same verdict on IPv4 as ipaddr.js alone, range edges and 100,000 random addresses', () => {
    // The verdict from ipaddr.js's own parse and range table (the IPv4 path is hand-written).
    const blocked = parseCidrs(['100.64.9.0/24']);
    const allowed = parseCidrs(['127.0.0.2/32']);
    const reference = (ip: string) => {
      const address = ipaddr.process(ip);
      if (inCidrs(address, allowed)) return undefined;
      const range = address.range();
      if (range !== 'unicast') return `${ip} is ${range}`;
      if (inCidrs(address, blocked)) return `${ip} is inside the relay's own networks`;
      return undefined;
    };
    const dotted = (value: number) =>
      [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
    const table = (ipaddr.IPv4.prototype as unknown as { SpecialRanges: object }).SpecialRanges;
    const edges = Object.values(table)
      .flatMap(
        (entry) =>
          (Array.isArray((entry as unknown[])[0]) ? entry : [entry]) as [ipaddr.IPv4, number][],
      )
      .concat(blocked as [ipaddr.IPv4, number][], allowed as [ipaddr.IPv4, number][])
      .flatMap(([network, bits]) => {
        const first = network.toByteArray().reduce((value, byte) => value * 256 + byte, 0);
        const last = first + 2 ** (32 - bits) - 1;
        return [first - 1, first, last, last + 1].filter((value) => value >= 0 && value < 2 ** 32);
      });
    const next = seededRandom(5);
    const randoms = Array.from({ length: 100_000 }, () => Math.floor(next() * 2 ** 32));
    for (const ip of [...edges, ...randoms].map(dotted))
      if (refuse(ip) !== reference(ip)) throw new Error(`disagree on ${ip}`);
  });
});

describe('SOCKS5 replies', () => {
  it('are always complete: 10 bytes for IPv4, 22 for IPv6', () => {
    expect([...socks5Reply(SOCKS5_REPLY.connectionRefused)]).toEqual([
      5, 5, 0, 1, 0, 0, 0, 0, 0, 0,
    ]);
    expect([...socks5Reply(SOCKS5_REPLY.succeeded, { address: '10.0.0.1', port: 8080 })]).toEqual([
      5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90,
    ]);
    expect(socks5Reply(SOCKS5_REPLY.succeeded, { address: '::1', port: 1 }).length).toBe(22);
  });

  it('map connect errors to their codes', () => {
    expect(socks5ReplyForError('ECONNREFUSED')).toBe(SOCKS5_REPLY.connectionRefused);
    expect(socks5ReplyForError('ENOTFOUND')).toBe(SOCKS5_REPLY.hostUnreachable);
    expect(socks5ReplyForError('ENETUNREACH')).toBe(SOCKS5_REPLY.networkUnreachable);
    expect(socks5ReplyForError(undefined)).toBe(SOCKS5_REPLY.generalFailure);
  });
});

describe('proxy headers', () => {
  it('strips hop-by-hop headers and those Connection names', () => {
    const headers: Record<string, string> = {
      host: 'example.com',
      connection: 'keep-alive, X-Secret',
      'x-secret': '1',
      'proxy-authorization': 'Basic abc',
      'proxy-connection': 'keep-alive',
      'keep-alive': 'timeout=5',
      accept: '*/*',
    };
    stripHopByHop(headers);
    expect(headers).toEqual({ host: 'example.com', accept: '*/*' });
  });

  it('parses Basic credentials, passwords with colons included, and refuses the rest', () => {
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    expect(parseBasicCredentials(basic('alice:pa:ss'))).toEqual({
      username: 'alice',
      password: 'pa:ss',
    });
    expect(parseBasicCredentials(basic(':nouser'))).toBeUndefined();
    expect(parseBasicCredentials('Bearer abc')).toBeUndefined();
    expect(parseBasicCredentials(undefined)).toBeUndefined();
    expect(parseBasicCredentials('Basic !!!')).toBeUndefined();
  });
});
