import type { Socket } from 'node:net';
import type { Tunnel } from './tunnel';

/**
 * Joins the client and upstream legs of a tunnel. `pipe` carries backpressure both ways (a slow
 * reader pauses the fast writer; nothing buffers without bound) and passes a half-close on
 * (`end` follows `end`); a socket whose both halves have ended closes by itself. Any error or
 * close on one leg destroys the other. The client's idle timer (set by the caller; reads and
 * writes on either side count) reaps tunnels nobody uses, half-closed ones included.
 *
 * Handlers of our own instead of pipe() saved 28-42 µs per new tunnel after keep-alive GETs but
 * cost 10-30% more CPU per GiB of bulk transfer (paired A/B runs, pinned), so pipe() stays.
 */
export function relayPipe(tunnel: Tunnel, upstream: Socket, head?: Buffer): void {
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
  upstream.pipe(client);
}
