import type { FirewallSettings } from '../model/firewall-settings';
import { CHAINS } from '../model/naming';
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

/** What the rules depend on: sessions are members of the client set, not rules. */
export type RuleState = Pick<FirewallState, 'devices'>;

function compareIds(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The whole desired ruleset as a pure function of the state. Rules are sorted (devices by id)
 * so the same state always renders the same text: unchanged chains are recognised as unchanged
 * and never rewritten. REDIRECT depends only on sessions, through the client set (whose members
 * are `clientSetMembers`: no rule changes with a session), and DNAT only on devices, in separate
 * chains.
 */
export function desiredRuleset(state: RuleState, settings: FirewallSettings): DesiredRuleset {
  const devices = [...state.devices].sort(compareIds).flatMap(deviceDnat);

  const natChains = new Map<string, Rule[]>([
    [CHAINS.prerouting, natPreroutingRules(settings)],
    [CHAINS.devices, devices],
    [CHAINS.clients, [...clientHeadRules(settings), clientRedirect(settings)]],
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
