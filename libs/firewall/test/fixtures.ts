import { aDevice } from '@tunnelgate/sessions/testing';
import {
  applyRestore,
  DEFAULT_FIREWALL_SETTINGS,
  desiredRuleset,
  emptyKernel,
  type FirewallState,
  planSync,
  type SavedRuleset,
} from '../src';

export const settings = DEFAULT_FIREWALL_SETTINGS;
export const RELAY_PUBLIC_IP = '198.51.100.1';
export const RELAY_TUN_IP = '10.9.0.1';

export const device = (id: string, vpnIp: string, basePort: number | null) =>
  aDevice({ id, vpnIp, basePort });

/** The kernel after applying what the planner says for `state`, starting from `kernel`. */
export function converge(state: FirewallState, kernel: SavedRuleset = emptyKernel()): SavedRuleset {
  const desired = desiredRuleset(state, settings);
  return applyRestore(kernel, planSync(desired.ipv4, kernel).restore);
}
