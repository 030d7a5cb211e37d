import { randomUUID } from 'node:crypto';
import type { UsageReportRequest } from '@tunnelgate/sessions';
import type { ConnectionRegistry } from '../connections/connection-registry';
import type { Tunnel } from '../connections/tunnel';
import { ApiRefusal, type TunnelApiClient } from '@tunnelgate/api-client';
import type { RelayDirectory } from './relay-directory';

/** How often live tunnels are sampled, so that a busy account's bytes go out by their count. */
const SAMPLE_MS = 250;

export interface UsageMeterOptions {
  /** The gateway's identity on its reports. */
  reporter: string;
  /** A report at least this often while there are bytes to report. */
  flushMs: number;
  /** And sooner, once one account has this many bytes unreported. */
  flushBytes: number;
}

/**
 * Bytes per account, reported to tunnel-api. Counted from each client socket's bytesRead +
 * bytesWritten (the kernel-side totals Node keeps anyway) plus the datagrams of UDP
 * associations, or, for tunnels under byte leases, what they took from them; sampled every
 * SAMPLE_MS and at close: no listener on the data path.
 *
 * Billing-grade: one report is on the wire at a time, under an id of its own, and a report
 * without an answer (timeout, outage) goes again as it was, same id, until tunnel-api answers;
 * the store applies an id once, so a report applied whose answer was lost never counts twice.
 * Bytes sampled meanwhile wait for the next report.
 */
export class UsageMeter {
  private readonly pending = new Map<string, number>();
  /** The report on the wire, and its bytes by account (read on every connect's quota check). */
  private unacknowledged: { report: UsageReportRequest; bytes: Map<string, number> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private sending = false;
  private lastFlush = Date.now();

  constructor(
    private readonly api: Pick<TunnelApiClient, 'reportUsage'>,
    private readonly directory: Pick<RelayDirectory, 'setUsedBytes'>,
    private readonly registry: ConnectionRegistry,
    private readonly options: UsageMeterOptions,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    registry.onRemove = (tunnel) => this.sample(tunnel);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.min(SAMPLE_MS, this.options.flushMs));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const tunnel of this.registry.all()) this.sample(tunnel);
    await this.flush();
    // What the first attempt left unanswered gets one more try before the process ends.
    if (this.unacknowledged || this.pending.size > 0) await this.flush();
  }

  /** Bytes of an account not yet in tunnel-api's total (waiting, or sent and not answered). */
  unreported(accountId: string): number {
    return (this.pending.get(accountId) ?? 0) + (this.unacknowledged?.bytes.get(accountId) ?? 0);
  }

  sample(tunnel: Tunnel): void {
    if (!tunnel.accountId) return;
    const total =
      tunnel.taken ??
      tunnel.client.bytesRead + tunnel.client.bytesWritten + tunnel.udpBytesIn + tunnel.udpBytesOut;
    const delta = total - tunnel.counted;
    if (delta <= 0) return;
    tunnel.counted = total;
    this.pending.set(tunnel.accountId, (this.pending.get(tunnel.accountId) ?? 0) + delta);
  }

  async tick(): Promise<void> {
    for (const tunnel of this.registry.all()) this.sample(tunnel);
    // A slow tunnel-api holds one report, not a queue of them.
    if (this.sending) return;
    let largest = 0;
    for (const bytes of this.pending.values()) largest = Math.max(largest, bytes);
    const due = Date.now() - this.lastFlush >= this.options.flushMs;
    if (due || largest >= this.options.flushBytes) await this.flush();
  }

  /** Samples every live tunnel and sends what it has (a byte lease needs the store told now). */
  flushNow(): Promise<void> {
    for (const tunnel of this.registry.all()) this.sample(tunnel);
    return this.flush();
  }

  /** Sends the unanswered report, or else a new one of what is pending; one at a time. */
  flush(): Promise<void> {
    this.queue = this.queue.then(async () => {
      this.sending = true;
      await this.send().finally(() => (this.sending = false));
    });
    return this.queue;
  }

  private async send(): Promise<void> {
    this.lastFlush = Date.now();
    if (!this.unacknowledged) {
      if (this.pending.size === 0) return;
      const bytes = new Map(this.pending);
      this.pending.clear();
      this.unacknowledged = {
        bytes,
        report: {
          id: randomUUID(),
          reporter: this.options.reporter,
          entries: [...bytes].map(([accountId, count]) => ({ accountId, bytes: count })),
        },
      };
    }
    const { report } = this.unacknowledged;
    try {
      const answer = await this.api.reportUsage(report);
      this.unacknowledged = undefined;
      for (const total of answer.accounts)
        this.directory.setUsedBytes(total.accountId, total.usedBytes);
    } catch (error) {
      if (error instanceof ApiRefusal && error.status >= 400 && error.status < 500) {
        // Refused on its content: sending the same again cannot succeed.
        this.unacknowledged = undefined;
        this.log({
          level: 'error',
          message: 'usage report refused; its bytes are not counted',
          reportId: report.id,
          bytes: report.entries.reduce((sum, entry) => sum + entry.bytes, 0),
          error: error.message,
        });
        return;
      }
      this.log({
        level: 'warn',
        message: 'usage report failed; the same report goes again',
        reportId: report.id,
        error: (error as Error).message,
      });
    }
  }
}
