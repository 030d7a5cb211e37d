import * as z from 'zod/mini';
import * as ipaddr from 'ipaddr.js';
import { canonicalIpv4, Ipv4Ranges } from './ipv4-ranges';
import {
  byteCountSchema,
  cidrSchema,
  idSchema,
  timestampSchema,
  usernameSchema,
} from './primitives';

export const PROXY_PROTOCOLS = ['http', 'socks5', 'openvpn'] as const;
export type ProxyProtocol = (typeof PROXY_PROTOCOLS)[number];

/** A PHC-format hash string (`$argon2id$...`, `$2b$...`); the clear password never gets here. */
export const passwordHashSchema = z
  .string()
  .check(
    z.regex(/^\$[a-z0-9-]+\$\S{20,}$/, 'must be a PHC-style password hash, never a clear password'),
  );

export const protocolsSchema = z
  .array(z.enum(PROXY_PROTOCOLS))
  .check(z.minLength(1), z.maxLength(PROXY_PROTOCOLS.length));
/**
 * The broadest whitelist entries: /16 for IPv4, /32 for IPv6 (an ISP's allocation). A whitelist
 * lets its addresses in without a password, so it names the customer's own hosts and networks;
 * 0.0.0.0/0 would hand the account to everyone.
 */
export const WHITELIST_MIN_PREFIX = { ipv4: 16, ipv6: 32 } as const;

const whitelistEntrySchema = cidrSchema.check(
  z.refine((cidr) => {
    const [address = '', bits = '0'] = cidr.split('/');
    const family = address.includes(':') ? 'ipv6' : 'ipv4';
    return Number(bits) >= WHITELIST_MIN_PREFIX[family];
  }, `too broad for a whitelist: at least /${WHITELIST_MIN_PREFIX.ipv4} for IPv4 and /${WHITELIST_MIN_PREFIX.ipv6} for IPv6`),
);
export const cidrWhitelistSchema = z.array(cidrSchema).check(z.maxLength(256));
/** What an API request may set: stored records keep decoding whatever an older release let in. */
export const cidrWhitelistRequestSchema = z.array(whitelistEntrySchema).check(z.maxLength(256));
export const maxConnectionsSchema = z.int().check(z.minimum(1), z.maximum(1_000_000));

/**
 * A customer's access: bound to one device, with the protocols it may use, an optional source
 * whitelist (an empty list means "password only"), an optional byte quota (null: unlimited) and
 * an optional limit of concurrent connections (null: unlimited).
 */
export const accountSchema = z.strictObject({
  id: idSchema,
  username: usernameSchema,
  passwordHash: passwordHashSchema,
  deviceId: idSchema,
  protocols: protocolsSchema,
  cidrWhitelist: cidrWhitelistSchema,
  quotaBytes: z.nullable(byteCountSchema),
  usedBytes: byteCountSchema,
  maxConnections: z.nullable(maxConnectionsSchema),
  enabled: z.boolean(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

export type Account = z.infer<typeof accountSchema>;

/** What may leave the relay about an account: everything but the hash. */
export type PublicAccount = Omit<Account, 'passwordHash'>;

export function toPublicAccount(account: Account): PublicAccount {
  const { passwordHash, ...rest } = account;
  return rest;
}

export function isOverQuota(account: Pick<Account, 'quotaBytes' | 'usedBytes'>): boolean {
  return account.quotaBytes !== null && account.usedBytes >= account.quotaBytes;
}

/** A parsed CIDR: the network address and the prefix length. */
export type CidrRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseCidrs(cidrs: readonly string[]): CidrRange[] {
  return cidrs.map((cidr) => ipaddr.parseCIDR(cidr));
}

/** Whether a parsed address (IPv4-mapped IPv6 already turned into IPv4) is in one of `ranges`. */
export function inCidrs(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly CidrRange[]): boolean {
  return ranges.some(
    ([range, bits]) => address.kind() === range.kind() && address.match(range, bits),
  );
}

/**
 * A predicate for "ip is inside one of `cidrs`", the CIDRs parsed once (IPv4-mapped IPv6
 * addresses count as IPv4). Whitelist checks run per login, so callers keep the predicate.
 */
export function cidrMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const ranges = parseCidrs(cidrs);
  const ipv4 = Ipv4Ranges.of(ranges);
  return (ip) => {
    const address = canonicalIpv4(ip);
    if (address >= 0) return ipv4.has(address);
    return ipaddr.isValid(ip) && inCidrs(ipaddr.process(ip), ranges);
  };
}

/** Whether an account's whitelist lets `ip` in (an empty whitelist restricts nothing). */
export function whitelistAllows(account: Pick<Account, 'cidrWhitelist'>, ip: string): boolean {
  return account.cidrWhitelist.length === 0 || cidrMatcher(account.cidrWhitelist)(ip);
}
