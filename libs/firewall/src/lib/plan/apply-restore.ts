import { parseSave, tokenize, type SavedChain, type SavedRuleset } from '../parse/parse-save';

const KERNEL_CHAINS: Record<string, string[]> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Words back into a saved line: iptables-save quotes every comment. */
function specOf(words: string[]): string {
  return words.map((w, i) => (words[i - 1] === '--comment' ? `"${w}"` : w)).join(' ');
}

/**
 * What `iptables-restore --noflush` does to a ruleset, for the commands the planner emits: the
 * kernel's bookkeeping in miniature. The reconciler keeps the kernel's state this way between
 * full reads (one process per change instead of three), and the pure tests apply a plan and
 * plan again thousands of times. tunnel-api's netns tests hold it to the real kernel.
 */
export function applyRestore(before: SavedRuleset, restore: string): SavedRuleset {
  const after: SavedRuleset = new Map(
    [...before].map(([t, chains]) => [
      t,
      new Map([...chains].map(([c, v]) => [c, { ...v, rules: [...v.rules] }])),
    ]),
  );
  let table: Map<string, SavedChain> | undefined;
  for (const line of restore.split('\n')) {
    if (line === '' || line === 'COMMIT') continue;
    if (line.startsWith('*')) {
      const name = line.slice(1);
      table =
        after.get(name) ??
        new Map((KERNEL_CHAINS[name] ?? []).map((c) => [c, { policy: 'ACCEPT', rules: [] }]));
      after.set(name, table);
      continue;
    }
    if (!table) throw new Error(`outside a table: ${line}`);
    const words = tokenize(line);
    const [command, chainName = ''] = words;
    const chain = table.get(chainName);
    if (command?.startsWith(':')) {
      const name = command.slice(1);
      const existing = table.get(name);
      table.set(name, { policy: existing?.policy ?? '-', rules: [] });
      continue;
    }
    if (!chain) throw new Error(`no chain ${chainName}: ${line}`);
    const rest = words.slice(2);
    switch (command) {
      case '-A':
        chain.rules.push(`-A ${chainName} ${specOf(rest)}`);
        break;
      case '-I': {
        const position = Number(rest[0]);
        chain.rules.splice(position - 1, 0, `-A ${chainName} ${specOf(rest.slice(1))}`);
        break;
      }
      case '-D': {
        const at = chain.rules.indexOf(`-A ${chainName} ${specOf(rest)}`);
        if (at < 0) throw new Error(`iptables-restore: -D found no such rule: ${line}`);
        chain.rules.splice(at, 1);
        break;
      }
      case '-X':
        if (chain.rules.length > 0) throw new Error(`-X of non-empty chain ${chainName}`);
        table.delete(chainName);
        break;
      default:
        throw new Error(`unsupported restore line: ${line}`);
    }
  }
  return after;
}

/** The ruleset as `iptables-save` would print it (without counters and comments). */
export function renderSave(ruleset: SavedRuleset): string {
  const out: string[] = [];
  for (const [table, chains] of ruleset) {
    out.push(`*${table}`);
    for (const [name, chain] of chains) out.push(`:${name} ${chain.policy} [0:0]`);
    for (const chain of chains.values()) out.push(...chain.rules);
    out.push('COMMIT');
  }
  return `${out.join('\n')}\n`;
}

/** A kernel with no rules at all. */
export function emptyKernel(): SavedRuleset {
  return parseSave('');
}
