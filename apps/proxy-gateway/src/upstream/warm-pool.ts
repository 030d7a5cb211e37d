import type { TunnelConnection } from './device-proxy';

export interface WarmPoolOptions {
  /** Warm connections kept while the device is in demand (used in the last minute). */
  min: number;
  /** Never more than this many. */
  max: number;
  /** A warm connection unused this long closes: under the device proxy's own wait for a request. */
  idleMs: number;
}

/** Demand is the tunnels opened to the device in the last DEMAND_WINDOW_MS... */
const DEMAND_WINDOW_MS = 10_000;
/** ...and a device with none for IN_DEMAND_MS gets no warm connections at all. */
const IN_DEMAND_MS = 60_000;
/** After a failed connect (the device gone or refusing), the pool waits this long to try again. */
const FAILURE_BACKOFF_MS = 1000;

interface Idle {
  ready: TunnelConnection;
  timer: NodeJS.Timeout;
  unwatch: () => void;
}

function usable(ready: TunnelConnection): boolean {
  const { socket } = ready;
  return !socket.destroyed && socket.writable && !socket.readableEnded;
}

/**
 * Connections to one device's proxy made before a tunnel needs them, so that a new tunnel skips
 * the connect (and SOCKS5's greeting and authentication): a round trip or three over a cellular
 * link. Sized by recent demand: half the tunnels opened to the device in the last 10 s, within
 * [min, max], and none once it has had no tunnel for a minute. Refilled as connections are
 * taken, each closed after `idleMs` unused (and replaced while the demand lasts), and dropped
 * when the device closes it or sends anything (a proxy says nothing before a request). They
 * belong to no account and no tunnel until taken.
 */
export class WarmPool {
  private readonly idle: Idle[] = [];
  private preparing = 0;
  /** When tunnels were opened to the device in the last DEMAND_WINDOW_MS, oldest first. */
  private readonly opened: number[] = [];
  private lastOpenedAt: number | undefined;
  private retryAfter = 0;
  private closed = false;

  constructor(
    private readonly prepare: () => Promise<TunnelConnection>,
    private readonly options: WarmPoolOptions,
    /** Told of each connection made for the pool. */
    private readonly onPrepared: () => void = () => undefined,
  ) {}

  /** A warm connection for a new tunnel, or none (the caller connects); counts as demand. */
  take(): TunnelConnection | undefined {
    this.lastOpenedAt = Date.now();
    this.opened.push(this.lastOpenedAt);
    this.forget(this.lastOpenedAt);
    let found: TunnelConnection | undefined;
    // The newest first: the least likely to be near the device's own timeout.
    while (!found) {
      const entry = this.idle.pop();
      if (!entry) break;
      this.release(entry);
      if (usable(entry.ready)) found = entry.ready;
      else entry.ready.socket.destroy();
    }
    this.refill();
    return found;
  }

  /** A connection made ready and then not used (a peek found a reason to refuse). */
  giveBack(ready: TunnelConnection): void {
    if (this.closed || !usable(ready) || this.idle.length >= this.target())
      return void ready.socket.destroy();
    this.keep(ready);
  }

  get size(): number {
    return this.idle.length;
  }

  /** The device went offline or changed: every warm connection closes, and none is made. */
  close(): void {
    this.closed = true;
    for (const entry of this.idle.splice(0)) {
      this.release(entry);
      entry.ready.socket.destroy();
    }
  }

  /** Asked per take and per refill step: the window is trimmed as it goes, so no scan. */
  private target(): number {
    const now = Date.now();
    if (this.lastOpenedAt === undefined || now - this.lastOpenedAt > IN_DEMAND_MS) return 0;
    this.forget(now);
    const recent = this.opened.length;
    return Math.min(this.options.max, Math.max(this.options.min, Math.ceil(recent / 2)));
  }

  /** Drops the tunnels opened before the demand window. */
  private forget(now: number): void {
    while ((this.opened[0] ?? now) < now - DEMAND_WINDOW_MS) this.opened.shift();
  }

  private refill(): void {
    while (
      !this.closed &&
      Date.now() >= this.retryAfter &&
      this.idle.length + this.preparing < this.target()
    ) {
      this.preparing++;
      this.prepare().then(
        (ready) => {
          this.preparing--;
          this.onPrepared();
          if (this.closed || this.idle.length >= this.target()) ready.socket.destroy();
          else this.keep(ready);
        },
        () => {
          this.preparing--;
          this.retryAfter = Date.now() + FAILURE_BACKOFF_MS;
        },
      );
    }
  }

  /** Parks a connection: it must stay silent and open; it closes unused after `idleMs`. */
  private keep(ready: TunnelConnection): void {
    const { socket, reader } = ready;
    const drop = () => {
      const at = this.idle.indexOf(entry);
      if (at >= 0) this.idle.splice(at, 1);
      this.release(entry);
      socket.destroy();
      this.refill();
    };
    const unwatch = () => {
      socket.off('end', drop);
      socket.off('close', drop);
      socket.off('error', drop);
      reader.release(undefined);
    };
    const entry: Idle = { ready, timer: setTimeout(drop, this.options.idleMs), unwatch };
    entry.timer.unref();
    this.idle.push(entry);
    socket.once('end', drop);
    socket.once('close', drop);
    socket.once('error', drop);
    // Reading on while parked, so that a close or stray bytes are seen before a tunnel gets it.
    reader.consume(() => {
      drop();
      return false;
    });
  }

  private release(entry: Idle): void {
    clearTimeout(entry.timer);
    entry.unwatch();
  }
}
