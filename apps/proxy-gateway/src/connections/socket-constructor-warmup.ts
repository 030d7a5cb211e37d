import { Socket, type SocketConstructorOpts } from 'node:net';

/** How often the warm-up runs again (it also keeps V8 from flushing what it taught). */
export const SOCKET_WARMUP_INTERVAL_MS = 30_000;

/** Constructions before V8 records anything about a call site: it gives a function its
 * feedback vector lazily, after about 100 calls of net.Socket here. */
const CALLS_BEFORE_FEEDBACK = 500;

/** Option shapes of nobody's sockets (harmless values): more than V8's 4 polymorphic entries. */
const OTHER_SHAPES: SocketConstructorOpts[] = [
  { readable: false },
  { writable: false },
  { readable: false, writable: false },
  { allowHalfOpen: false, readable: false },
  { allowHalfOpen: false, writable: false },
  { allowHalfOpen: false, readable: false, writable: false },
];

/**
 * Works around a slow path of Node 20's V8 that costs every new socket 15 µs or more (in a
 * loop; more amid a gateway's other work), two sockets per tunnel. net.Socket copies its
 * options (`{ ...options }`) and adds four fields to the copy. While that copy site has seen at
 * most 4 option shapes, each copy gets a map of its own, so every later property access of the
 * stream constructors misses V8's caches and looks the property up again (perf:
 * Factory::NewMap, DescriptorArray::Append, LoadIC_Miss under `Socket`). Once the site has seen
 * more shapes it takes V8's generic copy, whose maps are shared: ~1 µs per socket. A gateway
 * sees 2 or 3 shapes (accepted, dialed), so it shows the site a few more, with sockets that
 * never open.
 *
 * Measured (pinned, after keep-alive GETs, paired runs of 2,000 tunnels): 85-100 µs less CPU
 * per new CONNECT tunnel, a sixth of its cost (the README's proxy benchmark has the figures).
 */
export function warmSocketConstructor(): void {
  for (let i = 0; i < CALLS_BEFORE_FEEDBACK; i++) new Socket({ allowHalfOpen: true }).destroy();
  for (const shape of OTHER_SHAPES) new Socket(shape).destroy();
}
