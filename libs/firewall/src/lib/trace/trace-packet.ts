import * as ipaddr from 'ipaddr.js';
import type { CtState, Family, Protocol, Rule } from '../model/rule';
import { parseRule } from '../parse/parse-rule';
import { parseSave, type SavedRuleset } from '../parse/parse-save';

/** A packet's first appearance at the relay, as the tracer sees it. */
export interface TracedPacket {
  source: string;
  destination: string;
  protocol: Protocol | 'icmp';
  destinationPort?: number;
  inInterface: string;
  /** The relay's own addresses (addrtype LOCAL). */
  localAddresses: readonly string[];
}

/** Where a packet ends, in words a test table can hold: `REDIRECT :12345`, `DNAT 1.2.3.4:80`,
 * `REJECT tcp-reset`, `ACCEPT (local)` (delivered to the relay), `ACCEPT (forwarded)`. */
export type Verdict = string;

/** Kernel sets by name (ipset), with their members, for rules that match on one. */
export type KernelSets = Readonly<Record<string, readonly string[]>>;

interface ChainWalk {
  rules: Map<string, Rule[]>;
  sets: KernelSets;
  packet: TracedPacket & { ctstate: CtState[] };
  steps: string[];
}

function inCidr(address: string, cidr: string): boolean {
  const ip = ipaddr.parse(address);
  const [range, bits] = ipaddr.parseCIDR(
    cidr.includes('/') ? cidr : `${cidr}/${ip.kind() === 'ipv4' ? 32 : 128}`,
  );
  return ip.kind() === range.kind() && ip.match(range, bits);
}

function interfaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function matches(rule: Rule, walk: ChainWalk): boolean {
  const { match } = rule;
  const p = walk.packet;
  if (match.source && !inCidr(p.source, match.source)) return false;
  if (match.destination && !inCidr(p.destination, match.destination)) return false;
  if (match.inInterface && !interfaceMatches(match.inInterface, p.inInterface)) return false;
  if (match.protocol && match.protocol !== p.protocol) return false;
  if (match.destinationPort !== undefined && match.destinationPort !== p.destinationPort)
    return false;
  if (match.sourceSet && !walk.sets[match.sourceSet]?.includes(p.source)) return false;
  if (match.destinationIsLocal && !p.localAddresses.some((a) => a === p.destination)) return false;
  if (match.ctstate && !match.ctstate.some((s) => p.ctstate.includes(s))) return false;
  return true;
}

/** Walks one chain, following jumps; undefined means "fell off the end / returned". */
function walkChain(chain: string, walk: ChainWalk, depth = 0): Rule | undefined {
  if (depth > 16) throw new Error(`jump loop through ${chain}`);
  for (const rule of walk.rules.get(chain) ?? []) {
    if (!matches(rule, walk)) continue;
    walk.steps.push(`${chain}: ${rule.comment || rule.target.kind}`);
    if (rule.target.kind === 'RETURN') return undefined;
    if (rule.target.kind === 'JUMP') {
      const decided = walkChain(rule.target.chain, walk, depth + 1);
      if (decided) return decided;
      continue;
    }
    return rule;
  }
  return undefined;
}

function tableRules(saved: SavedRuleset, table: string): Map<string, Rule[]> {
  const chains = new Map<string, Rule[]>();
  for (const [name, chain] of saved.get(table) ?? []) chains.set(name, chain.rules.map(parseRule));
  return chains;
}

/**
 * Follows a new connection's first packet through nat PREROUTING, then filter INPUT (for the
 * relay) or FORWARD (for elsewhere), the way the kernel does, over an `iptables-save` ruleset and
 * the kernel sets its rules match on: the kube-proxy way of proving what rules do without
 * sending a packet.
 */
export function tracePacket(
  ruleset: SavedRuleset | string,
  packet: TracedPacket,
  family: Family = 'ipv4',
  sets: KernelSets = {},
): { verdict: Verdict; steps: string[] } {
  const saved = typeof ruleset === 'string' ? parseSave(ruleset) : ruleset;
  const steps: string[] = [];
  const walk: ChainWalk = {
    rules: tableRules(saved, 'nat'),
    sets,
    packet: { ...packet, ctstate: ['NEW'] },
    steps,
  };
  let destinationLocal = packet.localAddresses.includes(packet.destination);
  let translated = '';

  if (family === 'ipv4') {
    const nat = walkChain('PREROUTING', walk);
    if (nat?.target.kind === 'REDIRECT') {
      translated = `REDIRECT :${nat.target.toPort}`;
      destinationLocal = true;
      walk.packet = {
        ...walk.packet,
        destinationPort: nat.target.toPort,
        ctstate: ['NEW', 'DNAT'],
      };
    } else if (nat?.target.kind === 'DNAT') {
      translated = `DNAT ${nat.target.toAddress}:${nat.target.toPort}`;
      destinationLocal = packet.localAddresses.includes(nat.target.toAddress);
      walk.packet = {
        ...walk.packet,
        destination: nat.target.toAddress,
        destinationPort: nat.target.toPort,
        ctstate: ['NEW', 'DNAT'],
      };
    }
  }

  walk.rules = tableRules(saved, 'filter');
  const filtered = walkChain(destinationLocal ? 'INPUT' : 'FORWARD', walk);
  if (filtered?.target.kind === 'REJECT')
    return { verdict: `REJECT ${filtered.target.with}`, steps };
  if (translated) return { verdict: translated, steps };
  return { verdict: destinationLocal ? 'ACCEPT (local)' : 'ACCEPT (forwarded)', steps };
}
