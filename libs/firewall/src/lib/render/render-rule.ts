import { COMMENT_PREFIX } from '../model/naming';
import type { Rule, Target } from '../model/rule';
import { FirewallError } from '../firewall-error';

const CT_ORDER = ['NEW', 'RELATED', 'ESTABLISHED', 'DNAT'] as const;

function renderTarget(target: Target): string {
  switch (target.kind) {
    case 'ACCEPT':
    case 'RETURN':
    case 'MASQUERADE':
      return `-j ${target.kind}`;
    case 'REJECT':
      return `-j REJECT --reject-with ${target.with}`;
    case 'REDIRECT':
      return `-j REDIRECT --to-ports ${target.toPort}`;
    case 'DNAT':
      return `-j DNAT --to-destination ${target.toAddress}:${target.toPort}`;
    case 'JUMP':
      return `-j ${target.chain}`;
  }
}

/**
 * One rule as the line `iptables-save` prints for it (iptables 1.8, both backends): options in
 * save order, the comment quoted. Rendering exactly that form is what lets the planner compare
 * desired and current chains as text and skip the unchanged ones.
 */
export function renderRuleSpec(rule: Omit<Rule, 'chain'>): string {
  const { match } = rule;
  if (!rule.comment.startsWith(COMMENT_PREFIX) || /["\\\n]/.test(rule.comment)) {
    throw new FirewallError(
      'INVALID_RULE',
      `comment must start with ${COMMENT_PREFIX} and hold no quotes: ${rule.comment}`,
    );
  }
  const parts: string[] = [];
  if (match.source) parts.push('-s', match.source);
  if (match.destination) parts.push('-d', match.destination);
  if (match.inInterface) parts.push('-i', match.inInterface);
  if (match.protocol) parts.push('-p', match.protocol);
  if (match.destinationPort !== undefined) {
    if (!match.protocol)
      throw new FirewallError('INVALID_RULE', 'a destination port needs a protocol');
    parts.push('-m', match.protocol, '--dport', String(match.destinationPort));
  }
  if (match.sourceSet) parts.push('-m', 'set', '--match-set', match.sourceSet, 'src');
  if (match.destinationIsLocal) parts.push('-m', 'addrtype', '--dst-type', 'LOCAL');
  if (match.ctstate?.length) {
    const states = CT_ORDER.filter((s) => match.ctstate?.includes(s));
    parts.push('-m', 'conntrack', '--ctstate', states.join(','));
  }
  parts.push('-m', 'comment', '--comment', `"${rule.comment}"`);
  parts.push(renderTarget(rule.target));
  return parts.join(' ');
}

export function renderRule(rule: Rule): string {
  return `-A ${rule.chain} ${renderRuleSpec(rule)}`;
}
