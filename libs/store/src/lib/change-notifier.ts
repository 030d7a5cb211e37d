/**
 * Wakes watch loops when a change commits. It remembers the newest revision it was told of, so a
 * loop that asks after a change it has not read yet returns at once (no lost wake-up between
 * reading and waiting); the timeout is the fallback for writers it cannot hear (another process
 * on the same SQLite file, a missed pub/sub message).
 */
export class ChangeNotifier {
  private latest = 0;
  private readonly waiters = new Set<() => void>();

  notify(revision: number): void {
    if (revision > this.latest) this.latest = revision;
    for (const wake of [...this.waiters]) wake();
  }

  wait(after: number, signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (this.latest > after || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        this.waiters.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      signal.addEventListener('abort', finish, { once: true });
      this.waiters.add(finish);
    });
  }
}
