import type { Socket } from 'node:net';
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
 */
export function relayLegs(
  tunnel: Tunnel,
  upstream: Socket,
  reader: OwnBufferReader,
  head?: Buffer,
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
  if (head && head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.on('end', () => client.end());
  const written = () => {
    if (upstream.isPaused()) upstream.resume();
  };
  reader.consume((chunk) => {
    if (client.destroyed) return false;
    client.write(chunk, written);
    return client.writableLength === 0;
  });
}
