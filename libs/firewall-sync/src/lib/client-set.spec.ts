import { describeAsRoot, ipsetMembers, Netns } from '@tunnelgate/netns-testing';
import { ClientAddresses } from './client-addresses';
import { ClientSet } from './client-set';
import { ExecRunner } from './command-runner';

describeAsRoot('ClientSet in a network namespace', () => {
  let ns: Netns;
  let set: ClientSet;
  const members = () => ipsetMembers(ns, 'tg-clients').sort();

  beforeEach(() => {
    ns = new Netns();
    set = new ClientSet(new ExecRunner(ns.name));
  });
  afterEach(() => {
    set.close();
    ns.remove();
  });

  it('edits only the touched addresses between full reads', async () => {
    const clients = ClientAddresses.of([{ id: 's1', vpnIp: '10.9.0.2' }]);
    expect(await set.sync(clients, true)).toBe(1);
    clients.set('s2', '10.9.0.3');
    clients.delete('s1');
    expect(await set.sync(clients, false)).toBe(2);
    expect(members()).toEqual(['10.9.0.3']);
    expect(await set.sync(clients, false)).toBe(0);
  });

  it('keeps its copy of the kernel true when an address comes back while its removal is on the way', async () => {
    const clients = ClientAddresses.of([{ id: 'old', vpnIp: '10.9.0.50' }]);
    await set.sync(clients, true);
    clients.delete('old');
    const removing = set.sync(clients, false);
    // A reconnect on the same address, seen while the delete is in flight.
    clients.set('new', '10.9.0.50');
    await removing;
    expect(members()).toEqual([]);
    await set.sync(clients, false);
    expect(members()).toEqual(['10.9.0.50']);
  });

  it('puts many edits through one restore, and reads the kernel again on a full sync', async () => {
    const clients = ClientAddresses.of(
      Array.from({ length: 600 }, (_, i) => ({ id: `s${i}`, vpnIp: `10.9.${i >> 8}.${i & 255}` })),
    );
    expect(await set.sync(clients, true)).toBe(600);
    ns.exec('ipset', ['del', 'tg-clients', '10.9.0.7']);
    // Between full reads the set trusts its copy; a full read finds the member gone.
    expect(await set.sync(clients, false)).toBe(0);
    expect(await set.sync(clients, true)).toBe(1);
    expect(members()).toHaveLength(600);
  });
});
