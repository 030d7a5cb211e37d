import type { Readable } from 'node:stream';
import type { tunnelBudget } from '../control/byte-allowance';

/**
 * Takes every chunk a stream emits from the budget, for streams whose bytes go on through
 * someone else's listener (the HTTP client's parser, http-proxy's pipe): a chunk cannot be cut
 * there, so the one that crosses the lease is delivered whole, and the stream then waits for
 * the next lease, or ends (`usedUp`) when the quota is used up. At most one read (64 KiB) per
 * stream past the quota, against the byte-exact cut of tunnels (relay-legs).
 */
export function meterReads(
  stream: Readable,
  budget: ReturnType<typeof tunnelBudget>,
  usedUp: () => void,
): void {
  let waiting = false;
  stream.prependListener('data', (chunk: Buffer | string) => {
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const taken = budget.take(length);
    budget.delivered(length, taken);
    if (taken === length || waiting) return;
    waiting = true;
    stream.pause();
    void budget.more().then((more) => {
      waiting = false;
      if (more) stream.resume();
      else usedUp();
    });
  });
}
