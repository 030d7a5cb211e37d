import { CLIENT_SET } from '@tunnelgate/firewall';
import type { ClientAddressSource } from './client-addresses';
import type { CommandRunner } from './command-runner';
import { IpsetShell } from './ipset-shell';

/** Above this many edits, one `ipset restore` beats lines to the shell. */
const SHELL_MAX_EDITS = 256;

/**
 * The client set (ipset `hash:ip`) that the one REDIRECT rule matches, kept at the desired
 * members so a connect costs one member whatever the number of clients: a few edits (connects,
 * disconnects) go to a running `ipset -`, many (a full sync after a restart) to one
 * `ipset restore`. Like the rules, it trusts its copy of the kernel's members between full
 * reads, and drops the copy on any failure.
 */
export class ClientSet {
  /** The kernel's members as of our last read or write. */
  private members: Set<string> | undefined;
  private readonly shell: IpsetShell;

  constructor(
    private readonly runner: CommandRunner,
    readonly name = CLIENT_SET,
  ) {
    this.shell = new IpsetShell(runner);
  }

  /**
   * Brings the kernel's members to the wanted ones and returns the edits. A full sync reads the
   * kernel and compares every address; otherwise only the addresses touched since the last sync.
   */
  async sync(clients: ClientAddressSource, full: boolean): Promise<number> {
    const touched = clients.takeTouched();
    if (full || !this.members) await this.read();
    const have = this.members ?? new Set<string>();
    const wanted = clients.members;
    const candidates = full || !touched ? new Set([...wanted, ...have]) : touched;
    // Decided now: `wanted` is live and may move while the edits are on their way; what moves
    // meanwhile is touched again and goes to the next sync.
    const adds: string[] = [];
    const dels: string[] = [];
    for (const address of candidates) {
      if (wanted.has(address) === have.has(address)) continue;
      (wanted.has(address) ? adds : dels).push(address);
    }
    const lines = [
      ...adds.map((address) => `add ${this.name} ${address} -exist`),
      ...dels.map((address) => `del ${this.name} ${address} -exist`),
    ];
    if (lines.length === 0) return 0;
    try {
      if (lines.length <= SHELL_MAX_EDITS) await this.shell.run(lines);
      else await this.runner.run('ipset', ['restore'], `${lines.join('\n')}\n`);
    } catch (error) {
      this.members = undefined;
      throw error;
    }
    for (const address of adds) have.add(address);
    for (const address of dels) have.delete(address);
    return lines.length;
  }

  /** Ends the running `ipset -`. */
  close(): void {
    this.shell.close();
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
