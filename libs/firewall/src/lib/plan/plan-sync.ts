import { CHAIN_PREFIX, COMMENT_PREFIX } from '../model/naming';
import type { DesiredTable, TableName } from '../model/rule';
import { commentOf, type SavedRuleset, type SavedTable } from '../parse/parse-save';
import { renderJumpSpec } from '../render/render-restore';
import { renderRule } from '../render/render-rule';

export interface SyncPlan {
  /** `iptables-restore --noflush` input; empty when the kernel already matches. */
  restore: string;
  /** Our chains the restore rewrites whole (declaring a chain flushes it). */
  rewrittenChains: string[];
  /** Our chains it edits in place, a few -D / -I lines (a client's connect or disconnect). */
  editedChains: string[];
  /** Our chains it deletes: strays of an earlier run (or release). */
  deletedChains: string[];
  /** Kernel chains whose jump it (re)inserts at position 1. */
  fixedJumps: string[];
}

/** Up to this many changed lines a chain is edited in place; beyond, it is rewritten whole. */
const MAX_EDIT_LINES = 16;

/**
 * The edit that turns `have` into `want` when they differ in one run of lines (what one connect
 * or disconnect does to a sorted chain): delete the old run, insert the new one where it was.
 * undefined when they are equal; null when the change is too large to be worth editing.
 */
function lineEdit(
  chain: string,
  have: readonly string[],
  want: readonly string[],
): string[] | undefined | null {
  let head = 0;
  while (head < have.length && head < want.length && have[head] === want[head]) head++;
  if (head === have.length && head === want.length) return undefined;
  let tail = 0;
  while (
    tail < have.length - head &&
    tail < want.length - head &&
    have[have.length - 1 - tail] === want[want.length - 1 - tail]
  ) {
    tail++;
  }
  const removed = have.slice(head, have.length - tail);
  const added = want.slice(head, want.length - tail);
  if (removed.length + added.length > MAX_EDIT_LINES) return null;
  const prefix = `-A ${chain} `;
  return [
    ...removed.map((line) => `-D ${chain} ${line.slice(prefix.length)}`),
    ...added.map((line, i) => `-I ${chain} ${head + i + 1} ${line.slice(prefix.length)}`),
  ];
}

/**
 * The least restore input that takes the kernel from `current` to `desired`: a chain that
 * changed in one small run of lines is edited in place (-D / -I), a chain that changed more is
 * rewritten whole, both inside one atomic transaction (never flushed and refilled in two
 * steps); unchanged chains are not touched, stray chains and tagged rules are removed, and each kernel
 * chain ends with exactly one jump to us, at position 1, ahead of UFW, Docker and friends.
 */
export function planSync(
  desired: Partial<Record<TableName, DesiredTable>>,
  current: SavedRuleset,
): SyncPlan {
  const plan: SyncPlan = {
    restore: '',
    rewrittenChains: [],
    editedChains: [],
    deletedChains: [],
    fixedJumps: [],
  };
  const tables = new Set<string>([...Object.keys(desired), ...current.keys()]);
  const out: string[] = [];

  for (const tableName of tables) {
    const want = desired[tableName as TableName];
    const have: SavedTable = current.get(tableName) ?? new Map();
    const declares: string[] = [];
    const appends: string[] = [];
    const edits: string[] = [];
    const jumpFixes: string[] = [];
    const deletes: string[] = [];

    for (const [chain, rules] of want?.chains ?? []) {
      const lines = rules.map(renderRule);
      const existing = have.get(chain);
      const edit = existing ? lineEdit(chain, existing.rules, lines) : null;
      if (edit === undefined) continue;
      if (edit) {
        edits.push(...edit);
        plan.editedChains.push(chain);
        continue;
      }
      declares.push(`:${chain} - [0:0]`);
      appends.push(...lines);
      plan.rewrittenChains.push(chain);
    }
    for (const chain of have.keys()) {
      if (!chain.startsWith(CHAIN_PREFIX) || want?.chains.has(chain)) continue;
      declares.push(`:${chain} - [0:0]`);
      deletes.push(`-X ${chain}`);
      plan.deletedChains.push(chain);
    }
    const kernelChains = new Set<string>([...(want?.jumps.keys() ?? [])]);
    for (const [chain, saved] of have) {
      if (
        !chain.startsWith(CHAIN_PREFIX) &&
        saved.rules.some((l) => commentOf(l)?.startsWith(COMMENT_PREFIX))
      ) {
        kernelChains.add(chain);
      }
    }
    for (const kernel of kernelChains) {
      const target = want?.jumps.get(kernel);
      const jumpLine = target ? `-A ${kernel} ${renderJumpSpec(target)}` : undefined;
      const rules = have.get(kernel)?.rules ?? [];
      const tagged = rules.filter((l) => commentOf(l)?.startsWith(COMMENT_PREFIX));
      if (jumpLine && tagged.length === 1 && rules[0] === jumpLine) continue;
      for (const line of tagged) jumpFixes.push(line.replace(/^-A /, '-D '));
      if (target) jumpFixes.push(`-I ${kernel} 1 ${renderJumpSpec(target)}`);
      plan.fixedJumps.push(kernel);
    }

    if (declares.length + edits.length + jumpFixes.length + deletes.length === 0) continue;
    out.push(
      `*${tableName}`,
      ...declares,
      ...appends,
      ...edits,
      ...jumpFixes,
      ...deletes,
      'COMMIT',
    );
  }
  plan.restore = out.length > 0 ? `${out.join('\n')}\n` : '';
  return plan;
}
