/** Everything tunnelgate owns in the kernel starts with these, so it can find it again. */
export const CHAIN_PREFIX = 'TG-';
export const COMMENT_PREFIX = 'tunnelgate:';

export const CHAINS = {
  prerouting: 'TG-PREROUTING',
  clients: 'TG-CLIENTS',
  devices: 'TG-DEVICES',
  postrouting: 'TG-POSTROUTING',
  forward: 'TG-FORWARD',
  input: 'TG-INPUT',
} as const;

/**
 * Client REDIRECT rules live in one chain per /24 of VPN IPs, reached from TG-CLIENTS by one
 * jump each: a client's connect rewrites its bucket (at most 256 rules), never all 10,000.
 */
export function clientBucketChain(vpnIp: string): string {
  const [a, b, c] = vpnIp.split('.');
  return `TG-C-${a}-${b}-${c}`;
}

export function bucketCidr(vpnIp: string): string {
  const [a, b, c] = vpnIp.split('.');
  return `${a}.${b}.${c}.0/24`;
}

export function tag(owner: string, key: string): string {
  return `${COMMENT_PREFIX}${owner}:${key}`;
}

export const JUMP_COMMENT = tag('jump', 'kernel');
