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
 * The kernel set (ipset `hash:ip`) of OpenVPN clients' VPN IPs: their REDIRECT is one rule over
 * it, so a connect or disconnect adds or removes one member, never edits a chain.
 */
export const CLIENT_SET = 'tg-clients';

export function tag(owner: string, key: string): string {
  return `${COMMENT_PREFIX}${owner}:${key}`;
}

export const JUMP_COMMENT = tag('jump', 'kernel');
