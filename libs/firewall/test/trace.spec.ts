import {
  applyRestore,
  CLIENT_SET,
  clientSetMembers,
  desiredRuleset,
  emptyKernel,
  planSync,
  renderSave,
  type TracedPacket,
  tracePacket,
} from '../src';
import { converge, device, RELAY_PUBLIC_IP, RELAY_TUN_IP, settings } from './fixtures';

const v4 = renderSave(
  converge({
    sessions: [{ id: 'ses-1', vpnIp: '10.9.0.6' }],
    devices: [device('dev-1', '192.168.255.10', 20000)],
  }),
);
const v6 = renderSave(
  applyRestore(
    emptyKernel(),
    planSync(desiredRuleset({ devices: [] }, settings).ipv6, emptyKernel()).restore,
  ),
);

/** The kernel sets with the rules above: the client set holds the one session's address. */
const sets = { [CLIENT_SET]: [...clientSetMembers([{ id: 'ses-1', vpnIp: '10.9.0.6' }])] };

const local = [RELAY_PUBLIC_IP, RELAY_TUN_IP, '192.168.255.1'];
const packet = (p: Partial<TracedPacket>): TracedPacket => ({
  source: '10.9.0.6',
  destination: '93.184.216.34',
  protocol: 'tcp',
  destinationPort: 443,
  inInterface: 'tun0',
  localAddresses: local,
  ...p,
});

describe('packet flow through the rendered rules', () => {
  it.each<[string, Partial<TracedPacket>, string]>([
    ['client with a session, TCP out', {}, 'REDIRECT :12345'],
    ['client with a session, plain HTTP', { destinationPort: 80 }, 'REDIRECT :12345'],
    ['client without a session, TCP out', { source: '10.9.0.7' }, 'REJECT tcp-reset'],
    ['client QUIC (UDP/443)', { protocol: 'udp' }, 'REJECT icmp-port-unreachable'],
    [
      'client QUIC without a session',
      { source: '10.9.0.7', protocol: 'udp' },
      'REJECT icmp-port-unreachable',
    ],
    [
      'client DNS (UDP/53), reject mode',
      { protocol: 'udp', destinationPort: 53, destination: '8.8.8.8' },
      'REJECT icmp-port-unreachable',
    ],
    [
      'client ping',
      { protocol: 'icmp', destinationPort: undefined },
      'REJECT icmp-port-unreachable',
    ],
    [
      'client to the relay itself',
      { destination: RELAY_TUN_IP, destinationPort: 22 },
      'ACCEPT (local)',
    ],
    [
      'client to another customer',
      { destination: '10.9.0.9', destinationPort: 80 },
      'REJECT tcp-reset',
    ],
    [
      'client to a device VPN IP directly',
      { destination: '192.168.255.10', destinationPort: 8080 },
      'REJECT tcp-reset',
    ],
    [
      'client to the relay public IP device port',
      { destination: RELAY_PUBLIC_IP, destinationPort: 20000 },
      'DNAT 192.168.255.10:8080',
    ],
    [
      'outsider to a device HTTP port',
      {
        source: '203.0.113.5',
        inInterface: 'eth0',
        destination: RELAY_PUBLIC_IP,
        destinationPort: 20000,
      },
      'DNAT 192.168.255.10:8080',
    ],
    [
      'outsider to a device SOCKS5 port',
      {
        source: '203.0.113.5',
        inInterface: 'eth0',
        destination: RELAY_PUBLIC_IP,
        destinationPort: 20001,
      },
      'DNAT 192.168.255.10:1080',
    ],
    [
      'outsider to a device UDP port',
      {
        source: '203.0.113.5',
        inInterface: 'eth0',
        destination: RELAY_PUBLIC_IP,
        protocol: 'udp',
        destinationPort: 20002,
      },
      'DNAT 192.168.255.10:1081',
    ],
    [
      'outsider to an unused port',
      {
        source: '203.0.113.5',
        inInterface: 'eth0',
        destination: RELAY_PUBLIC_IP,
        destinationPort: 20003,
      },
      'ACCEPT (local)',
    ],
    [
      'transit traffic to port 20000 elsewhere',
      {
        source: '203.0.113.5',
        inInterface: 'eth0',
        destination: '203.0.113.99',
        destinationPort: 20000,
      },
      'ACCEPT (forwarded)',
    ],
    ['client TCP to port 20000 on the internet', { destinationPort: 20000 }, 'REDIRECT :12345'],
  ])('%s ends in %s', (_name, overrides, verdict) => {
    expect(tracePacket(v4, packet(overrides), 'ipv4', sets).verdict).toBe(verdict);
  });

  it('blocks IPv6 from customers', () => {
    const v6packet = packet({ source: 'fd00:9::6', destination: '2001:db8::1' });
    expect(tracePacket(v6, v6packet, 'ipv6').verdict).toBe('REJECT tcp-reset');
    expect(tracePacket(v6, { ...v6packet, protocol: 'udp' }, 'ipv6').verdict).toBe(
      'REJECT icmp6-port-unreachable',
    );
  });

  it('redirects by membership of the client set alone (the set path)', () => {
    // The same rules: a client leaves the set, and its TCP is refused, not redirected.
    expect(tracePacket(v4, packet({}), 'ipv4', { [CLIENT_SET]: [] }).verdict).toBe(
      'REJECT tcp-reset',
    );
    const joined = { [CLIENT_SET]: ['10.9.0.6', '10.9.0.7'] };
    expect(tracePacket(v4, packet({ source: '10.9.0.7' }), 'ipv4', joined).verdict).toBe(
      'REDIRECT :12345',
    );
    // A device port is DNATed by destination port, whoever is in the client set.
    const devicePort = packet({
      source: '203.0.113.50',
      destination: RELAY_PUBLIC_IP,
      destinationPort: 20000,
      inInterface: 'eth0',
    });
    for (const members of [[], ['203.0.113.50'], ['10.9.0.6']])
      expect(tracePacket(v4, devicePort, 'ipv4', { [CLIENT_SET]: members }).verdict).toBe(
        'DNAT 192.168.255.10:8080',
      );
  });

  it('says which rules a packet went through', () => {
    expect(tracePacket(v4, packet({}), 'ipv4', sets).steps).toEqual([
      'PREROUTING: tunnelgate:jump:kernel',
      'TG-PREROUTING: tunnelgate:policy:customers',
      'TG-CLIENTS: tunnelgate:clients:tg-clients',
      'INPUT: tunnelgate:jump:kernel',
      'TG-INPUT: tunnelgate:policy:transparent-in',
    ]);
  });
});
