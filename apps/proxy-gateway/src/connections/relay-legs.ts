import type { Socket } from 'node:net';
import type { ByteBudget } from '../control/byte-allowance';
import type { OwnBufferReader } from '../upstream/own-buffer-reader';
import type { Tunnel } from './tunnel';

/**
 * Joins the client and upstream legs of a tunnel. Backpressure both ways (a slow reader pauses
 * the fast writer; nothing buffers without bound), a half-close passed on (`end` follows `end`;
 * a socket whose both halves have ended closes by itself), and any error or close on one leg
 * destroys the other. The client's idle timer (set by the caller; reads and writes on the client
 * count) reaps tunnels nobody uses, half-closed ones included.
 *
 * Client to upstream: `pipe`. Upstream to client: through the `reader` the upstream was dialed
 * with (each chunk written at once; when the write could not finish, reading waits until it has,
 * as the reader's buffer is still queued: the write's callback, not 'drain', which does not come
 * for a write under the high-water mark).
 * (Handlers of our own in place of `pipe` on Node's allocated chunks had cost 10-30% more CPU per
 * GiB; on the reader's reused buffer the whole relay costs about a third of what it did: README,
 * "Proxy benchmark".)
 *
 * With a `budget` (an account with a quota), every chunk both ways is taken from it first: what
 * the lease does not cover waits for the next lease, and once the quota is used up the tunnel
 * closes at that byte. Only such tunnels pay for the handler in place of `pipe`.
 */
export function relayLegs(
  tunnel: Tunnel,
  upstream: Socket,
  reader: OwnBufferReader,
  head?: Buffer,
  budget?: ByteBudget,
): void {
  const client = tunnel.client;
  tunnel.upstream = upstream;
  const teardown = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.on('error', teardown);
  upstream.on('close', teardown);
  client.on('close', teardown);
  upstream.on('end', () => client.end());
  const written = () => {
    if (upstream.isPaused()) upstream.resume();
  };
  if (!budget) {
    if (head && head.length > 0) upstream.write(head);
    client.pipe(upstream);
    reader.consume((chunk) => {
      if (client.destroyed) return false;
      client.write(chunk, written);
      return client.writableLength === 0;
    });
    return;
  }
  const usedUp = () => tunnel.close('over-quota');
  meterClientToUpstream(client, upstream, budget, head, usedUp);
  reader.consume((chunk) => {
    if (client.destroyed) return false;
    const allowed = budget.take(chunk.length);
    if (allowed === chunk.length) {
      client.write(chunk, written);
      return client.writableLength === 0;
    }
    // The reader's buffer is reused once reading resumes: the rest is copied, and reading
    // resumes only after the rest's write (writes complete in order, the prefix's first).
    if (allowed > 0) client.write(chunk.subarray(0, allowed));
    const rest = Buffer.from(chunk.subarray(allowed));
    void deliverLater(rest, budget, client, written, usedUp);
    return false;
  });
}

/** Writes `rest` to the client as leases allow, then lets the upstream be read again. */
async function deliverLater(
  rest: Buffer,
  budget: ByteBudget,
  client: Socket,
  written: () => void,
  usedUp: () => void,
): Promise<void> {
  while (rest.length > 0) {
    if (!(await budget.more())) return usedUp();
    if (client.destroyed) return;
    const allowed = budget.take(rest.length);
    if (allowed === rest.length) return void client.write(rest, written);
    if (allowed > 0) client.write(rest.subarray(0, allowed));
    rest = rest.subarray(allowed);
  }
}

/** The client's bytes to the upstream, each chunk taken from the budget, with backpressure. */
function meterClientToUpstream(
  client: Socket,
  upstream: Socket,
  budget: ByteBudget,
  head: Buffer | undefined,
  usedUp: () => void,
): void {
  let waiting = false;
  let draining = false;
  const drained = () => {
    draining = false;
    if (!waiting) client.resume();
  };
  const forward = async (chunk: Buffer): Promise<void> => {
    let rest = chunk;
    for (;;) {
      const allowed = budget.take(rest.length);
      if (allowed > 0 && !upstream.destroyed) upstream.write(rest.subarray(0, allowed));
      rest = rest.subarray(allowed);
      if (rest.length === 0) break;
      if (!waiting) client.pause();
      waiting = true;
      if (!(await budget.more())) return usedUp();
      if (upstream.destroyed) return;
    }
    waiting = false;
    if (upstream.writableNeedDrain) {
      client.pause();
      if (!draining) upstream.once('drain', drained);
      draining = true;
    } else if (!draining) client.resume();
  };
  let queue = head && head.length > 0 ? forward(head) : Promise.resolve();
  client.on('data', (chunk: Buffer) => {
    queue = queue.then(() => forward(chunk));
  });
  client.on('end', () => void queue.then(() => upstream.end()));
  // As `pipe` does: the HTTP server leaves a CONNECT's socket paused.
  client.resume();
}
