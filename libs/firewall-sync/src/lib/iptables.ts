import type { Family } from '@tunnelgate/firewall';
import type { CommandRunner } from './command-runner';

export type IptablesBackend = 'nft' | 'legacy';

/**
 * iptables-save / iptables-restore for one backend, chosen once at start. The backend's own
 * binaries are named explicitly (`iptables-nft-restore`, not `iptables-restore`), so a changed
 * alternatives link can never make us mix nf_tables and legacy rules.
 */
export class Iptables {
  constructor(
    private readonly runner: CommandRunner,
    readonly backend: IptablesBackend,
  ) {}

  /** Reads which backend the system's `iptables` uses (`iptables v1.8.9 (nf_tables)`). */
  static async detect(runner: CommandRunner): Promise<Iptables> {
    const { stdout } = await runner.run('iptables', ['-V']);
    return new Iptables(runner, stdout.includes('nf_tables') ? 'nft' : 'legacy');
  }

  private binary(family: Family, tool: 'save' | 'restore'): string {
    return `${this.command(family)}-${tool}`;
  }

  /** The backend's own `iptables` / `ip6tables` (`iptables-nft`, `ip6tables-legacy`). */
  command(family: Family): string {
    return `${family === 'ipv4' ? 'iptables' : 'ip6tables'}-${this.backend}`;
  }

  async save(family: Family): Promise<string> {
    return (await this.runner.run(this.binary(family, 'save'), [])).stdout;
  }

  /** Applies atomically per table; `--noflush` leaves every chain not named in `text` alone. */
  async restore(family: Family, text: string): Promise<void> {
    await this.runner.run(this.binary(family, 'restore'), ['--noflush', '-w', '5'], text);
  }
}
