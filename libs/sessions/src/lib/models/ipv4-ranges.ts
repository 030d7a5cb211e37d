import type * as ipaddr from 'ipaddr.js';

/**
 * The address as an unsigned 32-bit number when `text` is a canonical dotted quad (four decimal
 * parts 0-255, no leading zeros), else -1. Every other spelling (IPv6, "127.1", octal, hex) is
 * left to ipaddr.js.
 *
 * Written by hand because it runs for every connection (the SSRF guard, whitelists) and
 * ipaddr.js parses with regular expressions: its isValid + process took 2-3 µs per IPv4 address
 * (tools/bench/address-checks.bench.ts).
 */
export function canonicalIpv4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      continue;
    }
    if (code < 48 || code > 57) return -1;
    if (digits > 0 && part === 0) return -1;
    part = part * 10 + code - 48;
    if (part > 255) return -1;
    digits++;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** IPv4 CIDRs as numeric intervals, each with a name; the first one holding an address names it. */
export class Ipv4Ranges {
  private readonly firsts: number[] = [];
  private readonly lasts: number[] = [];
  private readonly names: string[] = [];

  /** The IPv4 ones among parsed CIDRs (IPv6 ones never hold an IPv4 address). */
  static of(ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][], name = ''): Ipv4Ranges {
    const set = new Ipv4Ranges();
    for (const [network, bits] of ranges)
      if (network.kind() === 'ipv4') set.add(network as ipaddr.IPv4, bits, name);
    return set;
  }

  add(network: ipaddr.IPv4, bits: number, name: string): void {
    const size = 2 ** (32 - bits);
    const first = network.toByteArray().reduce((value, byte) => value * 256 + byte, 0);
    this.firsts.push(first - (first % size));
    this.lasts.push(first - (first % size) + size - 1);
    this.names.push(name);
  }

  nameOf(address: number): string | undefined {
    for (let i = 0; i < this.firsts.length; i++)
      if (address >= (this.firsts[i] as number) && address <= (this.lasts[i] as number))
        return this.names[i];
    return undefined;
  }

  has(address: number): boolean {
    return this.nameOf(address) !== undefined;
  }
}
