import {
  barrierIntact,
  DEFAULT_FIREWALL_SETTINGS,
  forwardBarrierScript,
  removeBarrierScript,
} from '../src';

const anyTun = { ...DEFAULT_FIREWALL_SETTINGS, customerInterface: 'tun+' };

/** What `nft -j list table inet tunnelgate` printed for the barrier of `tun*` (nft 1.0.6). */
function listing(rules: { comment: string; iif: string }[], prio = 10): string {
  return JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'tunnelgate' } },
      {
        chain: {
          family: 'inet',
          table: 'tunnelgate',
          name: 'forward',
          type: 'filter',
          hook: 'forward',
          prio,
          policy: 'accept',
        },
      },
      ...rules.map(({ comment, iif }) => ({
        rule: {
          family: 'inet',
          table: 'tunnelgate',
          chain: 'forward',
          comment,
          expr: [
            { match: { op: '==', left: { meta: { key: 'iifname' } }, right: iif } },
            { counter: { packets: 0, bytes: 0 } },
            { reject: { type: 'icmpx', expr: 'port-unreachable' } },
          ],
        },
      })),
    ],
  });
}
const wanted = ['quic', 'tcp', 'other'].map((key) => ({
  comment: `tunnelgate:barrier:${key}`,
  iif: 'tun*',
}));

describe('the forward barrier', () => {
  it('renders one transaction that replaces the table whole, with the same answers as TG-FORWARD', () => {
    expect(forwardBarrierScript(anyTun)).toBe(
      [
        'table inet tunnelgate',
        'delete table inet tunnelgate',
        'table inet tunnelgate {',
        '  chain forward {',
        '    type filter hook forward priority filter + 10; policy accept;',
        '    iifname "tun*" udp dport 443 counter reject with icmpx type port-unreachable comment "tunnelgate:barrier:quic"',
        '    iifname "tun*" meta l4proto tcp counter reject with tcp reset comment "tunnelgate:barrier:tcp"',
        '    iifname "tun*" counter reject with icmpx type port-unreachable comment "tunnelgate:barrier:other"',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    expect(forwardBarrierScript(DEFAULT_FIREWALL_SETTINGS)).toContain('iifname "tun0" ');
    expect(removeBarrierScript()).toBe('table inet tunnelgate\ndelete table inet tunnelgate\n');
  });

  it('reads a listing as intact only when every rule is there, in order, for the interface', () => {
    expect(barrierIntact(listing(wanted), anyTun)).toBe(true);
    expect(barrierIntact(listing(wanted.slice(0, 2)), anyTun)).toBe(false);
    expect(barrierIntact(listing([...wanted].reverse()), anyTun)).toBe(false);
    expect(barrierIntact(listing(wanted), DEFAULT_FIREWALL_SETTINGS)).toBe(false);
    expect(barrierIntact(listing(wanted, 0), anyTun)).toBe(false);
    expect(barrierIntact('{"nftables":[]}', anyTun)).toBe(false);
    expect(barrierIntact('not json', anyTun)).toBe(false);
  });
});
