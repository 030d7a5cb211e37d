import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { CloseReason, Tunnel } from './tunnel';

/**
 * Every live client connection, so that account edits, kicks, quotas and shutdown reach them,
 * and per-account limits can be counted. Sockets enter at accept and leave at close.
 */
export class ConnectionRegistry {
  /** Called for each tunnel as it leaves (the usage meter takes its last bytes here). */
  onRemove: (tunnel: Tunnel) => void = () => undefined;
  /** Called for each tunnel after it left, with everything known of it (the access log). */
  onFinished: (tunnel: Tunnel) => void = () => undefined;
  private readonly tunnels = new Set<Tunnel>();
  private readonly perAccount = new Map<string, number>();
  private nextId = 1;
  private readonly emptied: (() => void)[] = [];

  constructor(private readonly metrics: GatewayMetrics) {
    metrics.counters.openBytes = () => this.openBytes();
    metrics.devices.openByDevice = () => this.openByDevice();
  }

  private openByDevice(): Map<string, number> {
    const open = new Map<string, number>();
    for (const { deviceId } of this.tunnels)
      if (deviceId) open.set(deviceId, (open.get(deviceId) ?? 0) + 1);
    return open;
  }

  private openBytes(): { bytesIn: number; bytesOut: number } {
    let bytesIn = 0;
    let bytesOut = 0;
    for (const tunnel of this.tunnels) {
      bytesIn += tunnel.client.bytesRead + tunnel.udpBytesIn;
      bytesOut += tunnel.client.bytesWritten + tunnel.udpBytesOut;
    }
    return { bytesIn, bytesOut };
  }

  newId(): number {
    return this.nextId++;
  }

  get size(): number {
    return this.tunnels.size;
  }

  add(tunnel: Tunnel): void {
    this.tunnels.add(tunnel);
    this.metrics.counters.opened(tunnel.listener);
  }

  /** Called once per tunnel, from its close handler. */
  remove(tunnel: Tunnel): void {
    if (!this.tunnels.delete(tunnel)) return;
    this.metrics.counters.closed(
      tunnel.listener,
      tunnel.client.bytesRead + tunnel.udpBytesIn,
      tunnel.client.bytesWritten + tunnel.udpBytesOut,
    );
    this.uncount(tunnel.accountId);
    this.onRemove(tunnel);
    this.onFinished(tunnel);
    if (this.tunnels.size === 0) for (const resolve of this.emptied.splice(0)) resolve();
  }

  /** Moves a tunnel's count to the account `claim` gives it (after auth). */
  reassign(tunnel: Tunnel, claim: () => void): void {
    if (!this.tunnels.has(tunnel)) return claim();
    this.uncount(tunnel.accountId);
    claim();
    if (tunnel.accountId)
      this.perAccount.set(tunnel.accountId, this.countFor(tunnel.accountId) + 1);
  }

  private uncount(accountId: string | undefined): void {
    if (!accountId) return;
    const left = this.countFor(accountId) - 1;
    if (left > 0) this.perAccount.set(accountId, left);
    else this.perAccount.delete(accountId);
  }

  countFor(accountId: string): number {
    return this.perAccount.get(accountId) ?? 0;
  }

  all(): IterableIterator<Tunnel> {
    return this.tunnels.values();
  }

  closeWhere(match: (tunnel: Tunnel) => boolean, reason: CloseReason): number {
    let closed = 0;
    for (const tunnel of [...this.tunnels]) {
      if (!match(tunnel)) continue;
      tunnel.close(reason);
      closed++;
    }
    return closed;
  }

  /** Resolves when the last tunnel has closed, or after `timeoutMs` with those still open. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.tunnels.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.emptied.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.tunnels.size;
  }
}
