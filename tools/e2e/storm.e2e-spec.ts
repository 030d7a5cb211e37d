import { describeAsRoot } from '@tunnelgate/netns-testing';
import { storm } from './lab/openvpn-storm';

/**
 * Issue 18's storm, asserted: 50 OpenVPN customers connect at once to a relay in management
 * mode while a connected customer pings through its tunnel. Script mode froze that tunnel for
 * 7-13 s in the same setup (tools/bench/openvpn-storm.bench.ts has both modes side by side, with
 * the figures in the README); here the bounds are functional: everyone is admitted, and the
 * connected customer's tunnel never stops.
 */
describeAsRoot('a storm of OpenVPN customers, in management mode', () => {
  it('admits 50 customers at once while a connected one keeps its tunnel', async () => {
    const result = await storm('management', 50);
    expect(result.admitted).toBe(50);
    expect(result.allUpMs).toBeLessThan(30_000);
    expect(result.lost).toBe(0);
    // A freeze like script mode's shows as seconds; a working relay answers within a second.
    expect(result.maxRtt).toBeLessThan(1000);
  }, 120_000);
});
