import { JUMP_COMMENT } from '../model/naming';
import type { DesiredTable, TableName } from '../model/rule';
import { renderRule, renderRuleSpec } from './render-rule';

export function renderJumpSpec(target: string): string {
  return renderRuleSpec({
    match: {},
    target: { kind: 'JUMP', chain: target },
    comment: JUMP_COMMENT,
  });
}

/**
 * A complete `iptables-restore --noflush` input for the desired tables, as if the kernel held
 * none of our rules: the golden form tests compare against.
 */
export function renderRestore(tables: Partial<Record<TableName, DesiredTable>>): string {
  const out: string[] = [];
  for (const [name, table] of Object.entries(tables)) {
    if (!table) continue;
    out.push(`*${name}`);
    for (const chain of table.chains.keys()) out.push(`:${chain} - [0:0]`);
    for (const rules of table.chains.values()) for (const rule of rules) out.push(renderRule(rule));
    for (const [kernel, ours] of table.jumps) out.push(`-I ${kernel} 1 ${renderJumpSpec(ours)}`);
    out.push('COMMIT');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
