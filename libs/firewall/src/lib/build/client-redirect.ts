import type { ClientSession } from '@tunnelgate/sessions';
import type { FirewallSettings } from '../model/firewall-settings';
import { CHAINS, CLIENT_SET, tag } from '../model/naming';
import type { Rule } from '../model/rule';

export type RedirectedSession = Pick<ClientSession, 'id' | 'vpnIp'>;

/**
 * OpenVPN clients' TCP, matched by source in the client set on the customer tun, to the
 * transparent port: one rule for every client, however many.
 */
export function clientRedirect(settings: FirewallSettings): Rule {
  return {
    chain: CHAINS.clients,
    match: {
      inInterface: settings.customerInterface,
      protocol: 'tcp',
      sourceSet: CLIENT_SET,
    },
    target: { kind: 'REDIRECT', toPort: settings.transparentPort },
    comment: tag('clients', CLIENT_SET),
  };
}

/**
 * The client set's members: every active session's VPN IP, once. A set, in no particular order:
 * this runs on every sync over every session, and sorting 10,000 addresses cost more than the
 * rest of a connect's sync.
 */
export function clientSetMembers(sessions: readonly RedirectedSession[]): ReadonlySet<string> {
  return new Set(sessions.map((session) => session.vpnIp));
}
