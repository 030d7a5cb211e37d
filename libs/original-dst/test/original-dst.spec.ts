import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { originalDestination } from '..';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('\n!!! SKIPPED (needs root for netns + iptables): SO_ORIGINAL_DST\n');

describe('originalDestination without a redirect', () => {
  it('throws EBADF for a socket that has no descriptor', () => {
    expect(() => originalDestination(new Socket())).toThrow(
      expect.objectContaining({ code: 'EBADF' }),
    );
  });
});

(isRoot ? describe : describe.skip)('originalDestination on REDIRECTed connections', () => {
  const ns = `tgodst${process.pid}`;
  const netns = (...args: string[]) =>
    execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });

  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    netns('ip', 'link', 'set', 'lo', 'up');
    netns('ip', 'addr', 'add', '192.0.2.10/32', 'dev', 'lo');
    netns('ip', '-6', 'addr', 'add', '2001:db8::10/128', 'dev', 'lo', 'nodad');
  });
  afterAll(() => execFileSync('ip', ['netns', 'del', ns]));

  it('reads the IPv4 and IPv6 destinations on one dual-stack listener; an unredirected connection gives its own address', () => {
    const port = '40123';
    for (const iptables of ['iptables', 'ip6tables'])
      netns(
        iptables,
        '-t',
        'nat',
        '-A',
        'OUTPUT',
        '-p',
        'tcp',
        '--dport',
        '443',
        '-j',
        'REDIRECT',
        '--to-ports',
        port,
      );
    const output = netns(
      'node',
      join(__dirname, 'redirect-probe.js'),
      port,
      '192.0.2.10:443',
      '[2001:db8::10]:443'.replace(/[[\]]/g, ''),
      `127.0.0.1:${port}`,
    );
    const results = JSON.parse(output) as { client: string }[];
    // The address the kernel picks as source for a local destination is that destination.
    expect(results).toEqual(
      expect.arrayContaining([
        { client: '2001:db8::10', address: '2001:db8::10', port: 443, family: 'IPv6' },
        { client: '::ffff:192.0.2.10', address: '192.0.2.10', port: 443, family: 'IPv4' },
        // Tracked without NAT: the "original" destination is the listener itself (the loop guard's case).
        { client: '::ffff:127.0.0.1', address: '127.0.0.1', port: 40123, family: 'IPv4' },
      ]),
    );
    expect(results).toHaveLength(3);
  });
});
