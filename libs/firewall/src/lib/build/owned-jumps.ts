import type { Family } from '../model/rule';
import { DEFAULT_FIREWALL_SETTINGS } from '../model/firewall-settings';
import { desiredRuleset } from './desired-ruleset';

/** One jump tunnelgate keeps at the head of a kernel chain. */
export interface OwnedJump {
  family: Family;
  table: string;
  /** The kernel's chain (PREROUTING, FORWARD, …). */
  chain: string;
  /** tunnelgate's chain it jumps to. */
  target: string;
}

/**
 * Every jump from a kernel chain into tunnelgate's chains. They do not depend on sessions,
 * devices or settings, and any flush of a table (`iptables -F`, `-t nat -F`) takes them out:
 * checking them is how a flush is seen without reading every rule.
 */
export function ownedJumps(): OwnedJump[] {
  const desired = desiredRuleset({ devices: [] }, DEFAULT_FIREWALL_SETTINGS);
  return (Object.keys(desired) as Family[]).flatMap((family) =>
    Object.entries(desired[family]).flatMap(([table, spec]) =>
      [...(spec?.jumps ?? [])].map(([chain, target]) => ({ family, table, chain, target })),
    ),
  );
}
