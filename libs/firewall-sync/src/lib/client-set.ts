import { CLIENT_SET } from '@tunnelgate/firewall';
import type { CommandRunner } from './command-runner';

/**
 * The client set (ipset `hash:ip`) that the one REDIRECT rule matches: kept at the desired
 * members by one `ipset restore` of adds and deletes per sync, so a connect costs one member
 * whatever the number of clients. Like the rules, it trusts its copy of the kernel's members
 * between full reads, and drops the copy on any failure.
 */
export class ClientSet {
  private members: ReadonlySet<string> | undefined;

  constructor(
    private readonly runner: CommandRunner,
    readonly name = CLIENT_SET,
  ) {}

  /** Brings the kernel's members to `want`; a full sync reads them first. Returns the edits. */
  async sync(wanted: ReadonlySet<string>, full: boolean): Promise<number> {
    if (full || !this.members) await this.read();
    const have = this.members ?? new Set<string>();
    const lines: string[] = [];
    for (const address of wanted) if (!have.has(address)) lines.push(`add ${this.name} ${address}`);
    for (const address of have) if (!wanted.has(address)) lines.push(`del ${this.name} ${address}`);
    if (lines.length === 0) return 0;
    try {
      await this.runner.run('ipset', ['restore', '-exist'], `${lines.join('\n')}\n`);
    } catch (error) {
      this.members = undefined;
      throw error;
    }
    this.members = new Set(wanted);
    return lines.length;
  }

  /** Removes the set (teardown, after the rule that uses it is gone). */
  async destroy(): Promise<boolean> {
    const { stdout } = await this.runner.run('ipset', ['list', '-n']);
    if (!stdout.split('\n').includes(this.name)) return false;
    await this.runner.run('ipset', ['destroy', this.name]);
    this.members = undefined;
    return true;
  }

  /**
   * Creates the set when it is missing (a first start, an operator's `ipset destroy`), and
   * reads its members. A set of that name made otherwise (another size) is used as it is; one
   * of another type would match differently, so it stops the sync with what to do.
   */
  private async read(): Promise<void> {
    this.members = undefined;
    const names = (await this.runner.run('ipset', ['list', '-n'])).stdout.split('\n');
    if (!names.includes(this.name)) {
      await this.runner.run('ipset', [
        'create',
        this.name,
        'hash:ip',
        'family',
        'inet',
        // Room for a /12 of customers; the default 65,536 is the whole 10.9.0.0/16 exactly.
        'maxelem',
        '1048576',
      ]);
    } else {
      const header = (await this.runner.run('ipset', ['list', '-t', this.name])).stdout;
      if (!/^Type: hash:ip$/m.test(header) || !/^Header: family inet /m.test(header))
        throw new Error(
          `ipset ${this.name} exists but is not a hash:ip set of IPv4 addresses; remove it ` +
            `(ipset destroy ${this.name}, after firewall-teardown) and tunnel-api recreates it`,
        );
    }
    const { stdout } = await this.runner.run('ipset', ['save', this.name]);
    const members = new Set<string>();
    for (const line of stdout.split('\n')) {
      const [verb, set, address] = line.split(' ');
      if (verb === 'add' && set === this.name && address) members.add(address);
    }
    this.members = members;
  }
}
