import { describeAsRoot } from '@tunnelgate/netns-testing';
import { storm } from '@tunnelgate/relay-lab';

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
    expect(result.sessions).toBe(51);
  }, 120_000);

  it('admits everyone once tunnel-api is back from an outage during the storm, and stores no session for a client it refused', async () => {
    // 12 s frozen: both attempts of a client (5 s each, 1 s apart) time out, and it is refused
    // with TEMP[backoff 10]. The frozen requests reach tunnel-api when it resumes, past their
    // deadlines: it stores nothing for them (503). The refused clients come back after the
    // backoff and are admitted.
    const result = await storm('management', 20, { apiOutageMs: 12_000 });
    console.log('tunnel-api frozen 12 s during a 20-client storm:', result);
    expect(result.refusedForNow).toBeGreaterThan(0);
    expect(result.admitted).toBe(20);
    expect(result.sessions).toBe(21);
    expect(result.lost).toBe(0);
    expect(result.maxRtt).toBeLessThan(1000);
  }, 150_000);
});
