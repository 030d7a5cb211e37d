import * as ipaddr from 'ipaddr.js';
import { seededRandom } from '../../testing/seeded-random';
import { cidrMatcher, inCidrs, parseCidrs } from './account';
import { canonicalIpv4 } from './ipv4-ranges';

/** Dotted quads, near-misses and garbage, the same on every run. */
function addressLike(seed: number, count: number): string[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const part = () =>
    pick([
      () => String(Math.floor(next() * 256)),
      () => String(Math.floor(next() * 1000)),
      () => `0${Math.floor(next() * 10)}`,
      () => `0x${Math.floor(next() * 256).toString(16)}`,
      () => '',
      () => pick(['-1', ' 1', '1 ', '+1', '٣', 'a', '1e2']),
    ])();
  return Array.from({ length: count }, () => {
    const parts = Array.from({ length: pick([3, 4, 4, 4, 4, 5]) }, () =>
      next() < 0.85 ? String(Math.floor(next() * 256)) : part(),
    );
    return next() < 0.05 ? `::ffff:${parts.join('.')}` : parts.join('.');
  });
}

describe('canonicalIpv4', () => {
  it('reads canonical dotted quads', () => {
    expect(canonicalIpv4('0.0.0.0')).toBe(0);
    expect(canonicalIpv4('127.0.0.1')).toBe(0x7f000001);
    expect(canonicalIpv4('255.255.255.255')).toBe(0xffffffff);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.256',
    '1..3.4',
    '.1.2.3',
    '1.2.3.',
    '1.2.3.4 ',
    '0x7f.0.0.1',
    '127.1',
    '::1',
  ])('leaves %p to ipaddr.js', (text) => expect(canonicalIpv4(text)).toBe(-1));

  it('agrees with ipaddr.js on 100,000 generated strings', () => {
    for (const text of addressLike(11, 100_000)) {
      const canonical =
        ipaddr.IPv4.isValidFourPartDecimal(text) && ipaddr.IPv4.parse(text).toString() === text;
      const expected = canonical
        ? ipaddr.IPv4.parse(text)
            .toByteArray()
            .reduce((value, byte) => value * 256 + byte, 0)
        : -1;
      if (canonicalIpv4(text) !== expected) throw new Error(`disagree on ${JSON.stringify(text)}`);
    }
  });
});

describe('cidrMatcher', () => {
  it('agrees with ipaddr.js on 50,000 generated addresses', () => {
    const cidrs = ['10.0.0.0/8', '192.168.255.0/24', '203.0.113.7/32', '0.0.0.0/1', 'fd00::/8'];
    const matches = cidrMatcher(cidrs);
    const ranges = parseCidrs(cidrs);
    for (const ip of addressLike(12, 50_000)) {
      const expected = ipaddr.isValid(ip) && inCidrs(ipaddr.process(ip), ranges);
      if (matches(ip) !== expected) throw new Error(`disagree on ${JSON.stringify(ip)}`);
    }
    expect(matches('10.1.2.3')).toBe(true);
    expect(matches('203.0.113.8')).toBe(false);
    expect(matches('::ffff:192.168.255.9')).toBe(true);
  });
});
