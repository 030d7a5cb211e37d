import type { FirewallSettings } from '../model/firewall-settings';
import { tag } from '../model/naming';

/**
 * The second barrier: an nftables table of tunnelgate's own (`inet tunnelgate`) whose forward
 * hook refuses everything customers send that would leave the relay, with the same answers as
 * TG-FORWARD. It runs after iptables' filter table (priority filter + 10), so while the iptables
 * rules are in place it never sees a customer packet; when they are flushed (`iptables -F`,
 * `-t nat -F`, either backend), customers still get a refusal, and nothing of theirs is routed
 * out raw. Device-port traffic comes in on another interface and passes.
 */
export const BARRIER_TABLE = { family: 'inet', name: 'tunnelgate' } as const;
const BARRIER_CHAIN = 'forward';
const BARRIER_PRIORITY = 10;

interface BarrierRule {
  key: string;
  match: string;
  verdict: string;
}

/** iptables' `tun+` is nftables' `tun*`. */
function nftInterface(iptablesName: string): string {
  return iptablesName.endsWith('+') ? `${iptablesName.slice(0, -1)}*` : iptablesName;
}

function barrierRules(settings: FirewallSettings): BarrierRule[] {
  return [
    // QUIC first, with the answer browsers fall back to TCP on at once.
    { key: 'quic', match: 'udp dport 443', verdict: 'reject with icmpx type port-unreachable' },
    { key: 'tcp', match: 'meta l4proto tcp', verdict: 'reject with tcp reset' },
    { key: 'other', match: '', verdict: 'reject with icmpx type port-unreachable' },
  ].map((rule) => ({
    ...rule,
    match: `iifname "${nftInterface(settings.customerInterface)}" ${rule.match}`.trim(),
  }));
}

/**
 * An `nft -f` script that replaces the table whole in one transaction: created when missing
 * (so the delete never fails), deleted, defined again.
 */
export function forwardBarrierScript(settings: FirewallSettings): string {
  const { family, name } = BARRIER_TABLE;
  const rules = barrierRules(settings).map(
    (rule) => `    ${rule.match} counter ${rule.verdict} comment "${tag('barrier', rule.key)}"`,
  );
  return [
    `table ${family} ${name}`,
    `delete table ${family} ${name}`,
    `table ${family} ${name} {`,
    `  chain ${BARRIER_CHAIN} {`,
    `    type filter hook forward priority filter + ${BARRIER_PRIORITY}; policy accept;`,
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The script that removes the table (missing is fine: created first, then deleted). */
export function removeBarrierScript(): string {
  const { family, name } = BARRIER_TABLE;
  return `table ${family} ${name}\ndelete table ${family} ${name}\n`;
}

/** What `nft -j list table inet tunnelgate` prints, as far as the check reads it. */
interface NftListing {
  nftables?: {
    chain?: { name?: string; hook?: string; prio?: number; policy?: string };
    rule?: { chain?: string; comment?: string; expr?: unknown[] };
  }[];
}

/**
 * Whether a listing of the table (`nft -j list table inet tunnelgate`) shows the barrier as
 * `settings` want it: the forward hook at its priority, and each rule, by its tag and interface,
 * in order. Anything else (a missing table, an edited rule) is drift.
 */
export function barrierIntact(listingJson: string, settings: FirewallSettings): boolean {
  let listing: NftListing;
  try {
    listing = JSON.parse(listingJson) as NftListing;
  } catch {
    return false;
  }
  const items = listing.nftables ?? [];
  const chain = items.find((item) => item.chain?.name === BARRIER_CHAIN)?.chain;
  if (chain?.hook !== 'forward' || chain.prio !== BARRIER_PRIORITY || chain.policy !== 'accept')
    return false;
  const seen = items
    .filter((item) => item.rule?.chain === BARRIER_CHAIN)
    .map((item) => {
      const expr = JSON.stringify(item.rule?.expr ?? []);
      const iif = /"key":"iifname"\}\},"right":"([^"]*)"/.exec(expr)?.[1];
      return `${item.rule?.comment} ${iif} ${/"reject"/.test(expr)}`;
    });
  const wanted = barrierRules(settings).map(
    (rule) => `${tag('barrier', rule.key)} ${nftInterface(settings.customerInterface)} true`,
  );
  return seen.length === wanted.length && seen.every((line, i) => line === wanted[i]);
}
