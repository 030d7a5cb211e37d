// Per-connection address checks: the SSRF guard of a direct upstream and a CIDR whitelist, on
// IPv4 and IPv6 addresses, next to the same verdict from ipaddr.js alone (the baseline, run in
// the same process). Prints ns per check and the ratio to the baseline.
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/address-checks.bench.ts
import { destinationPolicy } from '@tunnelgate/proxy-protocols';
import { cidrMatcher, inCidrs, parseCidrs } from '@tunnelgate/sessions';
import * as ipaddr from 'ipaddr.js';

const ROUNDS = 5;
const CHECKS = 200_000;
const BLOCKED = ['10.9.0.0/24', '192.168.255.0/24'];
const WHITELIST = ['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32'];
const ADDRESSES = {
  ipv4: ['93.184.216.34', '142.250.74.46', '127.0.0.1', '10.9.0.7', '203.0.113.9', '1.1.1.1'],
  ipv6: ['2606:2800:220:1:248:1893:25c8:1946', '::1', '2001:db8::7', 'fe80::1'],
};

const blocked = parseCidrs(BLOCKED);
const whitelist = parseCidrs(WHITELIST);
const baselinePolicy = (ip: string) => {
  if (!ipaddr.isValid(ip)) return 'invalid';
  const address = ipaddr.process(ip);
  const range = address.range();
  if (range !== 'unicast') return range;
  return inCidrs(address, blocked) ? 'blocked' : undefined;
};
const baselineWhitelist = (ip: string) =>
  ipaddr.isValid(ip) && inCidrs(ipaddr.process(ip), whitelist);

/** Best of ROUNDS, in ns per check (the least disturbed round on a noisy machine). */
function nsPerCheck(check: (ip: string) => unknown, addresses: readonly string[]): number {
  let best = Infinity;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CHECKS; i++) if (check(addresses[i % addresses.length] as string)) sink++;
    best = Math.min(best, Number(process.hrtime.bigint() - started) / CHECKS);
  }
  if (sink < 0) console.log(sink);
  return best;
}

const policy = destinationPolicy({ blocked: BLOCKED, allowed: [] });
const matcher = cidrMatcher(WHITELIST);
console.log('check            addresses  ipaddr.js alone  tunnelgate  ratio');
for (const [name, ours, baseline] of [
  ['SSRF guard', policy, baselinePolicy],
  ['CIDR whitelist', matcher, baselineWhitelist],
] as const)
  for (const [family, addresses] of Object.entries(ADDRESSES)) {
    const base = nsPerCheck(baseline, addresses);
    const mine = nsPerCheck(ours, addresses);
    console.log(
      `${name.padEnd(16)} ${family.padEnd(10)} ${base.toFixed(0).padStart(12)} ns ${mine.toFixed(0).padStart(8)} ns  ${(mine / base).toFixed(2)}`,
    );
  }
