import { describeAsRoot, ipsetMembers, Netns } from '@tunnelgate/netns-testing';
import { ExecRunner } from './command-runner';
import { IpsetShell } from './ipset-shell';

describeAsRoot('IpsetShell, a running `ipset -` in a network namespace', () => {
  let ns: Netns;
  let shell: IpsetShell;

  beforeEach(() => {
    ns = new Netns();
    ns.exec('ipset', ['create', 'tst', 'hash:ip']);
    shell = new IpsetShell(new ExecRunner(ns.name));
  });
  afterEach(() => {
    shell.close();
    ns.remove();
  });

  it('runs edits in order, one process for all of them', async () => {
    await shell.run(['add tst 10.9.0.2', 'add tst 10.9.0.3']);
    await shell.run(['del tst 10.9.0.2', 'add tst 10.9.0.4 -exist', 'add tst 10.9.0.4 -exist']);
    expect(ipsetMembers(ns, 'tst').sort()).toEqual(['10.9.0.3', '10.9.0.4']);
    // The processes in this test's namespace (other tests run shells of their own elsewhere).
    const names = ns.exec('sh', [
      '-c',
      `for pid in $(ip netns pids ${ns.name}); do cat /proc/$pid/comm 2>/dev/null; done; true`,
    ]);
    expect(names.split('\n').filter((name) => name === 'ipset')).toHaveLength(1);
  });

  it("rejects with ipset's own words, and keeps working after", async () => {
    await expect(shell.run(['add tst 10.9.0.2', 'add tst bogus'])).rejects.toThrow(
      /cannot parse bogus/,
    );
    await expect(shell.run(['add nosuchset 10.9.0.2'])).rejects.toThrow(/does not exist/);
    await shell.run(['add tst 10.9.0.5']);
    expect(ipsetMembers(ns, 'tst').sort()).toEqual(['10.9.0.2', '10.9.0.5']);
  });

  it('starts another ipset when its process is killed', async () => {
    await shell.run(['add tst 10.9.0.2']);
    ns.exec('pkill', ['-KILL', '-x', 'ipset']);
    // The edit that meets the dead process may fail; the one after runs on a new process.
    await shell.run(['add tst 10.9.0.3']).catch(() => undefined);
    await shell.run(['add tst 10.9.0.4']);
    expect(ipsetMembers(ns, 'tst')).toContain('10.9.0.4');
  });

  it('refuses a command that would smuggle a second line', async () => {
    await expect(shell.run(['add tst 10.9.0.2\nflush tst'])).rejects.toThrow(/span lines/);
    await shell.run(['add tst 10.9.0.6']);
    expect(ipsetMembers(ns, 'tst')).toEqual(['10.9.0.6']);
  });
});
