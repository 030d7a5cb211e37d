import { close as closeFd, mkdirSync, open, write } from 'node:fs';
import { dirname } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import type { Tunnel } from '../connections/tunnel';
import { requestEntry, tunnelEntry, type AccessLogEntry } from './access-log-entry';

/** Bytes of lines not yet taken by the sink before new lines are dropped instead. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** After a write error (disk full, file removed with its directory), when to try again. */
const REOPEN_AFTER_MS = 10_000;
/**
 * The most one write carries: whole lines only, and no more than a pipe takes atomically
 * (PIPE_BUF), so in a pipe shared with the app's own log (`/dev/stdout`) no line is ever cut
 * by another writer's.
 */
const WRITE_BYTES = 4096;

export type ForwardedRequest = Parameters<typeof requestEntry>[2];

/**
 * The access log: one JSON line per finished tunnel or forwarded request, appended to a file of
 * its own (`/dev/stdout` or `/dev/stderr` for a container's log stream). It never holds up the
 * data plane: lines are written on libuv's thread pool, one write at a time of whole lines up to
 * 4 KiB (opening the path gives a blocking file description of its own, even for a pipe, so the
 * event loop never waits on it), and while more than 4 MiB wait for a stalled sink, new lines are
 * dropped and counted (`tunnelgate_gateway_access_log_lines_total{result="dropped"}`).
 * Hand-written rather than a WriteStream: its writev batches would exceed what a pipe shared with
 * the app's own log takes atomically.
 */
export class AccessLog {
  private fd: number | undefined;
  private opening = false;
  private broken = false;
  private writing = false;
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Lines of the write in flight: dropped, not written, if it fails. */
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private written = 0;
  private dropped = 0;

  constructor(
    private readonly path: string | undefined,
    /** This gateway's name, the prefix of its connection ids. */
    private readonly gateway: string,
    registry: Registry,
    private readonly warn: (entry: Record<string, unknown>) => void,
    private readonly maxPendingBytes = MAX_PENDING_BYTES,
  ) {
    // Plain counts published at scrape time: a labelled inc per line would hash its labels.
    const counts = () => ({ written: this.written, dropped: this.dropped });
    new Counter({
      name: 'tunnelgate_gateway_access_log_lines_total',
      help: 'Access log lines written, and dropped while the sink was stalled or failing',
      labelNames: ['result'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [result, total] of Object.entries(counts())) this.inc({ result }, total);
      },
    });
  }

  /** Off, the listeners skip even gathering a request's figures. */
  get enabled(): boolean {
    return this.path !== undefined;
  }

  tunnel(tunnel: Tunnel): void {
    // A kept-alive connection's forwarded requests have lines of their own.
    if (!this.enabled || tunnel.outcome === 'forwarded') return;
    this.add(tunnelEntry(tunnel, this.gateway));
  }

  request(tunnel: Tunnel, request: ForwardedRequest): void {
    if (this.enabled) this.add(requestEntry(tunnel, this.gateway, request));
  }

  private add(entry: AccessLogEntry): void {
    if (this.broken || this.pendingBytes > this.maxPendingBytes) {
      this.dropped++;
      return;
    }
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.written++;
    this.flush();
  }

  /** One write in flight at a time, on libuv's thread pool: the event loop never waits. */
  private flush(): void {
    if (this.writing || this.opening) return;
    if (this.fd === undefined) return this.open();
    if (this.pending.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    let size = 0;
    let count = 0;
    for (const line of this.pending) {
      if (count > 0 && size + line.length > WRITE_BYTES) break;
      size += line.length;
      count++;
    }
    const chunk = Buffer.concat(this.pending.splice(0, count), size);
    this.pendingBytes -= size;
    this.writing = true;
    this.inFlight = count;
    this.writeAll(this.fd, chunk, () => {
      this.writing = false;
      this.inFlight = 0;
      this.flush();
    });
  }

  private writeAll(fd: number, chunk: Buffer, done: () => void): void {
    write(fd, chunk, 0, chunk.length, null, (error, bytes) => {
      if (error) return this.fail(error, done);
      if (bytes < chunk.length) return this.writeAll(fd, chunk.subarray(bytes), done);
      done();
    });
  }

  private open(): void {
    const path = this.path;
    if (!path || this.broken) return;
    this.opening = true;
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch {
      // The open's own error says what is wrong.
    }
    // A file description of its own, blocking even for a pipe: the thread pool waits on a
    // stalled sink, never the event loop.
    open(path, 'a', (error, fd) => {
      this.opening = false;
      if (error) return this.fail(error, () => undefined);
      this.fd = fd;
      this.flush();
    });
  }

  private fail(error: Error, done: () => void): void {
    this.warn({
      message: 'access log cannot be written: dropping lines',
      path: this.path,
      error: String(error),
    });
    const lost = this.pending.length + this.inFlight;
    this.dropped += lost;
    this.written -= lost;
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.fd = undefined;
    this.broken = true;
    setTimeout(() => (this.broken = false), REOPEN_AFTER_MS).unref();
    for (const resolve of this.idle.splice(0)) resolve();
    done();
  }

  /** Writes out what is pending (at shutdown, after the last tunnel), then closes the file. */
  async close(): Promise<void> {
    if (this.pending.length > 0 && !this.broken)
      await new Promise<void>((resolve) => this.idle.push(resolve));
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await new Promise<void>((resolve) => closeFd(fd, () => resolve()));
  }
}
