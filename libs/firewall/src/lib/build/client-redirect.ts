import type { ClientSession } from '@tunnelgate/sessions';
import type { FirewallSettings } from '../model/firewall-settings';
import { clientBucketChain, tag } from '../model/naming';
import type { Rule } from '../model/rule';

export type RedirectedSession = Pick<ClientSession, 'id' | 'vpnIp'>;

/** One OpenVPN client's TCP, matched by its VPN IP on the customer tun, to the transparent port. */
export function clientRedirect(session: RedirectedSession, settings: FirewallSettings): Rule {
  return {
    chain: clientBucketChain(session.vpnIp),
    match: {
      source: `${session.vpnIp}/32`,
      inInterface: settings.customerInterface,
      protocol: 'tcp',
    },
    target: { kind: 'REDIRECT', toPort: settings.transparentPort },
    comment: tag('session', session.id),
  };
}
