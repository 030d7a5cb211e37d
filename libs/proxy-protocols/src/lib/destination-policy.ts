import { canonicalIpv4, inCidrs, Ipv4Ranges, parseCidrs } from '@tunnelgate/sessions';
import * as ipaddr from 'ipaddr.js';

/** Ranges a direct upstream never reaches unless allowed: the host, its clusters, its metadata. */
const BLOCKED_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'private',
  'reserved',
  'carrierGradeNat',
  'uniqueLocal',
  'benchmarking',
  'amt',
  'as112',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
]);

/**
 * ipaddr.js's own table of special IPv4 ranges (what `range()` names), in its order, for the
 * hand-written IPv4 path; the policy spec checks that both paths agree.
 */
const SPECIAL_IPV4 = specialIpv4Ranges();

function specialIpv4Ranges(): Ipv4Ranges {
  type Table = Record<string, [ipaddr.IPv4, number] | [ipaddr.IPv4, number][]>;
  const table = (ipaddr.IPv4.prototype as unknown as { SpecialRanges: Table }).SpecialRanges;
  const ranges = new Ipv4Ranges();
  for (const [name, entry] of Object.entries(table)) {
    const subnets = Array.isArray(entry[0]) ? (entry as [ipaddr.IPv4, number][]) : [entry];
    for (const [network, bits] of subnets as [ipaddr.IPv4, number][])
      ranges.add(network, bits, name);
  }
  return ranges;
}

export interface DestinationPolicyOptions {
  /** More CIDRs to refuse (the relay's own customer and device subnets). */
  blocked: readonly string[];
  /** CIDRs allowed even inside a blocked range (a lab target, a demo server on loopback). */
  allowed: readonly string[];
}

/**
 * The SSRF guard of a direct upstream: given the address a name resolved to (checked after
 * resolution, so a DNS answer cannot smuggle in 127.0.0.1), the reason it is refused, or
 * undefined when it may be reached.
 */
export function destinationPolicy(
  options: DestinationPolicyOptions,
): (ip: string) => string | undefined {
  const blocked = parseCidrs(options.blocked);
  const allowed = parseCidrs(options.allowed);
  const blockedIpv4 = Ipv4Ranges.of(blocked);
  const allowedIpv4 = Ipv4Ranges.of(allowed);
  // Runs for every direct connection: the address is parsed once for all the checks.
  return (ip) => {
    const ipv4 = canonicalIpv4(ip);
    if (ipv4 >= 0) {
      if (allowedIpv4.has(ipv4)) return undefined;
      const range = SPECIAL_IPV4.nameOf(ipv4);
      if (range !== undefined && BLOCKED_RANGES.has(range)) return `${ip} is ${range}`;
      if (blockedIpv4.has(ipv4)) return `${ip} is inside the relay's own networks`;
      return undefined;
    }
    if (!ipaddr.isValid(ip)) return `not an IP address: ${ip}`;
    const address = ipaddr.process(ip);
    if (inCidrs(address, allowed)) return undefined;
    const range = address.range();
    if (BLOCKED_RANGES.has(range)) return `${ip} is ${range}`;
    // Every other IPv4-embedding form (NAT64, 6to4, Teredo, SIIT) has a range name of its own.
    if (address.kind() === 'ipv6' && range !== 'unicast') return `${ip} is ${range}`;
    if (address.kind() === 'ipv6' && isIpv4Compatible(address as ipaddr.IPv6))
      return `${ip} is IPv4-compatible IPv6`;
    if (inCidrs(address, blocked)) return `${ip} is inside the relay's own networks`;
    return undefined;
  };
}

/**
 * ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated): ipaddr.js calls it unicast, yet a stack that still
 * routes it reaches the IPv4 address inside (::7f00:1 is 127.0.0.1).
 */
function isIpv4Compatible(address: ipaddr.IPv6): boolean {
  return address.parts.slice(0, 6).every((part) => part === 0);
}
