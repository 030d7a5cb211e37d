import { inCidrs, parseCidrs } from '@tunnelgate/sessions';
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
  // Runs for every direct connection: the address is parsed once for all the checks.
  return (ip) => {
    if (!ipaddr.isValid(ip)) return `not an IP address: ${ip}`;
    const address = ipaddr.process(ip);
    if (inCidrs(address, allowed)) return undefined;
    const range = address.range();
    if (BLOCKED_RANGES.has(range)) return `${ip} is ${range}`;
    if (address.kind() === 'ipv6' && range !== 'unicast') return `${ip} is ${range}`;
    if (inCidrs(address, blocked)) return `${ip} is inside the relay's own networks`;
    return undefined;
  };
}
