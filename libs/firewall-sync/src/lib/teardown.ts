import { CLIENT_SET, parseSave, planSync, type Family } from '@tunnelgate/firewall';
import { ClientSet } from './client-set';
import type { CommandRunner } from './command-runner';
import { removeForwardBarrier } from './forward-barrier';
import type { Iptables } from './iptables';

/**
 * Removes every chain and rule tunnelgate owns (jumps, TG- chains), its client set and its
 * nftables barrier, leaving others' alone.
 */
export async function teardownFirewall(
  iptables: Iptables,
  runner: CommandRunner,
): Promise<Record<Family, string[]>> {
  const removed: Record<Family, string[]> = { ipv4: [], ipv6: [] };
  for (const family of ['ipv4', 'ipv6'] as const) {
    const plan = planSync({}, parseSave(await iptables.save(family)));
    if (plan.restore !== '') await iptables.restore(family, plan.restore);
    removed[family] = [
      ...plan.deletedChains,
      ...plan.fixedJumps.map((chain) => `jump in ${chain}`),
    ];
  }
  await removeForwardBarrier(runner);
  // Last: a set cannot go while a rule still names it.
  if (await new ClientSet(runner).destroy()) removed.ipv4.push(`set ${CLIENT_SET}`);
  return removed;
}
