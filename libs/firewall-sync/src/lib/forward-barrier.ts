import {
  barrierIntact,
  BARRIER_TABLE,
  forwardBarrierScript,
  removeBarrierScript,
  type FirewallSettings,
} from '@tunnelgate/firewall';
import { CommandError, type CommandRunner } from './command-runner';

/** The nftables barrier in the kernel (see forward-barrier in libs/firewall): `nft`, no more. */
export class ForwardBarrier {
  constructor(
    private readonly runner: CommandRunner,
    private readonly settings: FirewallSettings,
  ) {}

  /** Whether the barrier is in the kernel as wanted (a missing table is not an error here). */
  async intact(): Promise<boolean> {
    const { family, name } = BARRIER_TABLE;
    try {
      const { stdout } = await this.runner.run('nft', ['-j', 'list', 'table', family, name]);
      return barrierIntact(stdout, this.settings);
    } catch (error) {
      if (error instanceof CommandError && /No such file or directory/.test(error.stderr))
        return false;
      throw error;
    }
  }

  async install(): Promise<void> {
    await this.runner.run('nft', ['-f', '-'], forwardBarrierScript(this.settings));
  }

  /** Puts the barrier in place unless it is; answers whether it had to. */
  async ensure(): Promise<boolean> {
    if (await this.intact()) return false;
    await this.install();
    return true;
  }
}

/** Takes the barrier out of the kernel; a host without nft has none to take. */
export async function removeForwardBarrier(runner: CommandRunner): Promise<void> {
  try {
    await runner.run('nft', ['-f', '-'], removeBarrierScript());
  } catch (error) {
    if (!(error instanceof CommandError && /ENOENT/.test(error.stderr))) throw error;
  }
}
