import type { FirewallSettings } from '../model/firewall-settings';
import { bucketCidr, CHAINS, tag } from '../model/naming';
import type { DesiredRuleset, Rule } from '../model/rule';
import { clientRedirect, type RedirectedSession } from './client-redirect';
import { deviceDnat, type DnatDevice } from './device-dnat';
import {
  clientHeadRules,
  filterForwardRules,
  filterForwardRulesV6,
  filterInputRules,
  natPostroutingRules,
  natPreroutingRules,
} from './policy-rules';

export interface FirewallState {
  /** Active OpenVPN sessions. */
  sessions: readonly RedirectedSession[];
  /** Online devices. */
  devices: readonly DnatDevice[];
}

function compareIds(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/**
 * The whole desired firewall as a pure function of the state. Rules are sorted (sessions by VPN
 * IP, devices by id) so the same state always renders the same text: unchanged chains are
 * recognised as unchanged and never rewritten. REDIRECT rules depend only on sessions and DNAT
 * rules only on devices, in separate chains.
 */
export function desiredRuleset(state: FirewallState, settings: FirewallSettings): DesiredRuleset {
  const buckets = new Map<string, Rule[]>();
  const sessions = [...state.sessions].sort(
    (a, b) => ipKey(a.vpnIp) - ipKey(b.vpnIp) || compareIds(a, b),
  );
  for (const session of sessions) {
    const rule = clientRedirect(session, settings);
    const list = buckets.get(rule.chain) ?? [];
    list.push(rule);
    buckets.set(rule.chain, list);
  }
  const bucketJumps: Rule[] = [...buckets.values()].map((rules) => ({
    chain: CHAINS.clients,
    match: { source: bucketCidr(rules[0]?.match.source?.split('/')[0] ?? '') },
    target: { kind: 'JUMP', chain: rules[0]?.chain ?? '' },
    comment: tag('bucket', rules[0]?.chain ?? ''),
  }));
  const devices = [...state.devices].sort(compareIds).flatMap(deviceDnat);

  const natChains = new Map<string, Rule[]>([
    [CHAINS.prerouting, natPreroutingRules(settings)],
    [CHAINS.devices, devices],
    [CHAINS.clients, [...clientHeadRules(settings), ...bucketJumps]],
    ...[...buckets.entries()].map(([chain, rules]): [string, Rule[]] => [chain, rules]),
    [CHAINS.postrouting, natPostroutingRules(settings)],
  ]);
  return {
    ipv4: {
      nat: {
        chains: natChains,
        jumps: new Map([
          ['PREROUTING', CHAINS.prerouting],
          ['POSTROUTING', CHAINS.postrouting],
        ]),
      },
      filter: {
        chains: new Map([
          [CHAINS.forward, filterForwardRules(settings)],
          [CHAINS.input, filterInputRules(settings)],
        ]),
        jumps: new Map([
          ['FORWARD', CHAINS.forward],
          ['INPUT', CHAINS.input],
        ]),
      },
    },
    ipv6: {
      filter: {
        chains: new Map([[CHAINS.forward, filterForwardRulesV6(settings)]]),
        jumps: new Map([['FORWARD', CHAINS.forward]]),
      },
    },
  };
}
