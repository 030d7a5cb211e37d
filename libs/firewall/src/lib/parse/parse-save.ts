import { FirewallError } from '../firewall-error';

export interface SavedChain {
  /** ACCEPT/DROP for kernel chains, `-` for user chains. */
  policy: string;
  /** Rule lines as printed, `-A CHAIN ...`, in order. */
  rules: string[];
}

export type SavedTable = Map<string, SavedChain>;
export type SavedRuleset = Map<string, SavedTable>;

/** Reads `iptables-save` output (any table, anyone's rules) into tables, chains and lines. */
export function parseSave(text: string): SavedRuleset {
  const tables: SavedRuleset = new Map();
  let table: SavedTable | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      table = new Map();
      tables.set(line.slice(1), table);
      return;
    }
    if (line === 'COMMIT') {
      table = undefined;
      return;
    }
    if (!table)
      throw new FirewallError('UNPARSABLE_SAVE', `line ${index + 1} is outside a table: ${line}`);
    const declared = /^:(\S+)\s+(\S+)/.exec(line);
    if (declared) {
      table.set(declared[1] ?? '', { policy: declared[2] ?? '-', rules: [] });
      return;
    }
    const appended = /^-A\s+(\S+)\s/.exec(line);
    if (!appended)
      throw new FirewallError(
        'UNPARSABLE_SAVE',
        `line ${index + 1} is not a chain or a rule: ${line}`,
      );
    const chain = table.get(appended[1] ?? '');
    if (!chain)
      throw new FirewallError(
        'UNPARSABLE_SAVE',
        `line ${index + 1} appends to undeclared chain ${appended[1]}`,
      );
    chain.rules.push(line);
  });
  return tables;
}

/** Splits a rule line into words the way iptables-restore does: double quotes group. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|(\S+)/g;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) words.push(m[1] ?? m[2] ?? '');
  return words;
}

/** The comment of a saved rule line, if it has one. */
export function commentOf(line: string): string | undefined {
  const words = tokenize(line);
  const at = words.indexOf('--comment');
  return at >= 0 ? words[at + 1] : undefined;
}
