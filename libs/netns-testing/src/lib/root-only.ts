/** Root is needed for namespaces and iptables; CI runs as root, so nothing skips there. */
export const isRoot = process.getuid?.() === 0;

export function describeAsRoot(name: string, body: () => void): void {
  if (!isRoot) {
    // Loud on purpose: a skipped kernel test must never pass unnoticed.
    console.warn(`\n!!! SKIPPED (needs root for netns + iptables): ${name}\n`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}
