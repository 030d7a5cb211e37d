import { clientSetMembers, desiredRuleset, renderRestore } from '../src';
import { device, settings } from './fixtures';

describe('rendered rules (golden)', () => {
  it("puts sessions' addresses in the client set, once each", () => {
    expect(
      clientSetMembers([
        { id: 'ses-b', vpnIp: '10.9.1.7' },
        { id: 'ses-a', vpnIp: '10.9.0.6' },
        { id: 'ses-c', vpnIp: '10.9.0.10' },
        { id: 'ses-replaced', vpnIp: '10.9.0.6' },
      ]),
    ).toEqual(new Set(['10.9.0.6', '10.9.0.10', '10.9.1.7']));
  });

  it('renders devices and the fixed policy as iptables-restore input (sessions are set members)', () => {
    const desired = desiredRuleset(
      {
        devices: [
          device('dev-2', '192.168.255.11', null),
          device('dev-1', '192.168.255.10', 20000),
        ],
      },
      settings,
    );
    expect(renderRestore(desired.ipv4)).toBe(
      [
        '*nat',
        ':TG-PREROUTING - [0:0]',
        ':TG-DEVICES - [0:0]',
        ':TG-CLIENTS - [0:0]',
        ':TG-POSTROUTING - [0:0]',
        '-A TG-PREROUTING -m addrtype --dst-type LOCAL -m comment --comment "tunnelgate:policy:device-ports" -j TG-DEVICES',
        '-A TG-PREROUTING -i tun0 -m comment --comment "tunnelgate:policy:customers" -j TG-CLIENTS',
        '-A TG-DEVICES -p tcp -m tcp --dport 20000 -m comment --comment "tunnelgate:device:dev-1:http" -j DNAT --to-destination 192.168.255.10:8080',
        '-A TG-DEVICES -p tcp -m tcp --dport 20001 -m comment --comment "tunnelgate:device:dev-1:socks5" -j DNAT --to-destination 192.168.255.10:1080',
        '-A TG-DEVICES -p udp -m udp --dport 20002 -m comment --comment "tunnelgate:device:dev-1:udp" -j DNAT --to-destination 192.168.255.10:1081',
        '-A TG-CLIENTS -d 10.9.0.0/24 -m comment --comment "tunnelgate:policy:local-customers" -j RETURN',
        '-A TG-CLIENTS -d 192.168.255.0/24 -m comment --comment "tunnelgate:policy:local-devices" -j RETURN',
        '-A TG-CLIENTS -i tun0 -p tcp -m set --match-set tg-clients src -m comment --comment "tunnelgate:clients:tg-clients" -j REDIRECT --to-ports 12345',
        '-A TG-POSTROUTING -d 192.168.255.0/24 -m conntrack --ctstate DNAT -m comment --comment "tunnelgate:policy:device-ports-snat" -j MASQUERADE',
        '-I PREROUTING 1 -m comment --comment "tunnelgate:jump:kernel" -j TG-PREROUTING',
        '-I POSTROUTING 1 -m comment --comment "tunnelgate:jump:kernel" -j TG-POSTROUTING',
        'COMMIT',
        '*filter',
        ':TG-FORWARD - [0:0]',
        ':TG-INPUT - [0:0]',
        '-A TG-FORWARD -d 192.168.255.0/24 -m conntrack --ctstate DNAT -m comment --comment "tunnelgate:policy:device-ports-in" -j ACCEPT',
        '-A TG-FORWARD -s 192.168.255.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "tunnelgate:policy:device-ports-out" -j ACCEPT',
        '-A TG-FORWARD -i tun0 -p udp -m udp --dport 443 -m comment --comment "tunnelgate:policy:quic" -j REJECT --reject-with icmp-port-unreachable',
        '-A TG-FORWARD -i tun0 -p tcp -m comment --comment "tunnelgate:policy:customer-tcp-without-session" -j REJECT --reject-with tcp-reset',
        '-A TG-FORWARD -i tun0 -m comment --comment "tunnelgate:policy:customer-other" -j REJECT --reject-with icmp-port-unreachable',
        '-A TG-INPUT -i tun0 -p tcp -m tcp --dport 12345 -m conntrack --ctstate DNAT -m comment --comment "tunnelgate:policy:transparent-in" -j ACCEPT',
        '-I FORWARD 1 -m comment --comment "tunnelgate:jump:kernel" -j TG-FORWARD',
        '-I INPUT 1 -m comment --comment "tunnelgate:jump:kernel" -j TG-INPUT',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(renderRestore(desired.ipv6)).toBe(
      [
        '*filter',
        ':TG-FORWARD - [0:0]',
        '-A TG-FORWARD -i tun0 -p tcp -m comment --comment "tunnelgate:policy:customer-v6-tcp" -j REJECT --reject-with tcp-reset',
        '-A TG-FORWARD -i tun0 -m comment --comment "tunnelgate:policy:customer-v6-other" -j REJECT --reject-with icmp6-port-unreachable',
        '-I FORWARD 1 -m comment --comment "tunnelgate:jump:kernel" -j TG-FORWARD',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('redirects DNS to the relay resolver when configured', () => {
    const desired = desiredRuleset(
      { devices: [] },
      { ...settings, customerDns: { kind: 'redirect', port: 5353 } },
    );
    const text = renderRestore(desired.ipv4);
    expect(text).toContain(
      '-A TG-CLIENTS -p udp -m udp --dport 53 -m comment --comment "tunnelgate:policy:dns-udp" -j REDIRECT --to-ports 5353',
    );
    expect(text).toContain(
      '-A TG-INPUT -i tun0 -p udp -m udp --dport 5353 -m conntrack --ctstate DNAT -m comment --comment "tunnelgate:policy:dns-udp-in" -j ACCEPT',
    );
  });

  it('refuses a comment that could break out of its quotes', () => {
    expect(() =>
      desiredRuleset(
        { devices: [device('x" -j ACCEPT "', '192.168.255.10', 20000)] },
        settings,
      ).ipv4.nat?.chains.forEach((rules) =>
        rules.forEach((r) =>
          renderRestore({ nat: { chains: new Map([[r.chain, [r]]]), jumps: new Map() } }),
        ),
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_RULE' }));
  });
});
