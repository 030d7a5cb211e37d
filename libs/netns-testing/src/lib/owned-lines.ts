/** Our chains (and jumps to them) as iptables-save prints them: what must stay byte-identical. */
export function ownedLines(save: string, chainPattern: RegExp): string {
  return save
    .split('\n')
    .filter((line) => {
      const m = /^(?::|-A )(\S+)/.exec(line);
      return m !== null && chainPattern.test(m[1] ?? '');
    })
    .map((line) => line.replace(/\[\d+:\d+\]$/, ''))
    .join('\n');
}
