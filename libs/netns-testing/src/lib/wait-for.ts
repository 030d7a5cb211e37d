/** Polls `check` every 100 ms until it answers true; a throw counts as "not yet". */
export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  attempts = 150,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}
