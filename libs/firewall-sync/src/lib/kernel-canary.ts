import { BARRIER_TABLE, JUMP_COMMENT, ownedJumps } from '@tunnelgate/firewall';
import { CommandError, type CommandRunner } from './command-runner';
import type { Iptables } from './iptables';

/**
 * A cheap look at the kernel, often (the canary kube-proxy keeps for the same reason): is the
 * first of tunnelgate's jumps in each table there (nat PREROUTING, filter FORWARD, ip6 filter
 * FORWARD), and its nftables barrier? A flush of a table, or of those chains, takes a jump with
 * it, so this sees it within a period; anything subtler waits for the periodic full read. One
 * process per look: `sh` running the backend's `iptables -C` per jump and `nft list table`; the
 * script is built from constant chain names and tags only. What it costs is measured by
 * tools/bench/firewall-repair.bench.ts.
 */
export class KernelCanary {
  private readonly script: string;

  constructor(
    private readonly runner: CommandRunner,
    iptables: Iptables,
    withBarrier: boolean,
  ) {
    const firstPerTable = ownedJumps().filter(
      (jump, i, all) =>
        all.findIndex((other) => other.family === jump.family && other.table === jump.table) === i,
    );
    const checks = firstPerTable.map(
      (jump) =>
        `${iptables.command(jump.family)} -w 1 -t ${jump.table} -C ${jump.chain} -m comment --comment ${JUMP_COMMENT} -j ${jump.target}`,
    );
    if (withBarrier) checks.push(`nft list table ${BARRIER_TABLE.family} ${BARRIER_TABLE.name}`);
    this.script = `${checks.map((check) => `${check} >/dev/null 2>&1`).join(' && ')}`;
  }

  /** True when everything it looks at is in place; false on any absence. */
  async intact(): Promise<boolean> {
    try {
      await this.runner.run('sh', ['-c', this.script]);
      return true;
    } catch (error) {
      if (error instanceof CommandError && error.exitCode !== null) return false;
      throw error;
    }
  }
}
