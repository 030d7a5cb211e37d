import type { ConnectionRegistry } from '../connections/connection-registry';
import type { Tunnel } from '../connections/tunnel';
import type { ApiClient } from './api-client';
import type { RelayDirectory } from './relay-directory';

/**
 * Bytes per account, reported to tunnel-api every `flushMs` and at shutdown. Counted from each
 * client socket's bytesRead + bytesWritten (the kernel-side totals Node keeps anyway) plus the
 * datagrams of UDP associations, sampled
 * on the tick and at close: no listener on the data path. A failed report keeps its bytes for
 * the next one; the totals it answers keep quotas current across relays.
 */
export class UsageMeter {
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly directory: RelayDirectory,
    private readonly registry: ConnectionRegistry,
    private readonly flushMs: number,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    registry.onRemove = (tunnel) => this.sample(tunnel);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const tunnel of this.registry.all()) this.sample(tunnel);
    await this.flush();
  }

  /** Bytes of an account not yet in tunnel-api's total. */
  unreported(accountId: string): number {
    return this.pending.get(accountId) ?? 0;
  }

  sample(tunnel: Tunnel): void {
    if (!tunnel.accountId) return;
    const total =
      tunnel.client.bytesRead + tunnel.client.bytesWritten + tunnel.udpBytesIn + tunnel.udpBytesOut;
    const delta = total - tunnel.counted;
    if (delta <= 0) return;
    tunnel.counted = total;
    this.pending.set(tunnel.accountId, this.unreported(tunnel.accountId) + delta);
  }

  async tick(): Promise<void> {
    for (const tunnel of this.registry.all()) this.sample(tunnel);
    await this.flush();
  }

  private async flush(): Promise<void> {
    await this.flushing;
    if (this.pending.size === 0) return;
    const entries = [...this.pending].map(([accountId, bytes]) => ({ accountId, bytes }));
    this.pending.clear();
    this.flushing = this.api
      .reportUsage({ entries })
      .then(
        (answer) => {
          for (const total of answer.accounts)
            this.directory.setUsedBytes(total.accountId, total.usedBytes);
        },
        (error: Error) => {
          for (const { accountId, bytes } of entries)
            this.pending.set(accountId, this.unreported(accountId) + bytes);
          this.log({
            level: 'warn',
            message: 'usage report failed; kept for the next one',
            error: error.message,
          });
        },
      )
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }
}
