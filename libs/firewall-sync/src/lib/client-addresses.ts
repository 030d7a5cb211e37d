import type { RedirectedSession } from '@tunnelgate/firewall';

/**
 * The client set's desired members as a sync reads them: the addresses wanted now, and which of
 * them may have changed since the last sync took them, so a connect compares one address, not
 * 10,000 (Felix's dirty tracking).
 */
export interface ClientAddressSource {
  readonly members: ReadonlySet<string>;
  /** Addresses whose membership may have changed since the last call; undefined: any may have. */
  takeTouched(): ReadonlySet<string> | undefined;
}

/** Active sessions' addresses, kept per change. Two sessions may hold one address for a moment. */
export class ClientAddresses implements ClientAddressSource {
  private readonly bySession = new Map<string, string>();
  private readonly holders = new Map<string, number>();
  private readonly wanted = new Set<string>();
  private touched: Set<string> | undefined;

  static of(sessions: readonly RedirectedSession[]): ClientAddresses {
    const addresses = new ClientAddresses();
    for (const session of sessions) addresses.set(session.id, session.vpnIp);
    return addresses;
  }

  get members(): ReadonlySet<string> {
    return this.wanted;
  }

  get size(): number {
    return this.bySession.size;
  }

  /** The sessions whose addresses these are. */
  sessions(): RedirectedSession[] {
    return [...this.bySession].map(([id, vpnIp]) => ({ id, vpnIp }));
  }

  set(sessionId: string, address: string): void {
    const previous = this.bySession.get(sessionId);
    if (previous === address) return;
    if (previous !== undefined) this.release(previous);
    this.bySession.set(sessionId, address);
    this.holders.set(address, (this.holders.get(address) ?? 0) + 1);
    this.wanted.add(address);
    this.touched?.add(address);
  }

  delete(sessionId: string): void {
    const address = this.bySession.get(sessionId);
    if (address === undefined) return;
    this.bySession.delete(sessionId);
    this.release(address);
  }

  /** Forgets everything; the next sync compares every address. */
  clear(): void {
    this.bySession.clear();
    this.holders.clear();
    this.wanted.clear();
    this.touched = undefined;
  }

  takeTouched(): ReadonlySet<string> | undefined {
    const touched = this.touched;
    this.touched = new Set();
    return touched;
  }

  private release(address: string): void {
    const left = (this.holders.get(address) ?? 1) - 1;
    if (left > 0) return void this.holders.set(address, left);
    this.holders.delete(address);
    this.wanted.delete(address);
    this.touched?.add(address);
  }
}
