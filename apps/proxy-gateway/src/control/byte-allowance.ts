import type { ByteLeaseResponse } from '@tunnelgate/sessions';
import { ApiRefusal, type TunnelApiClient } from '@tunnelgate/api-client';

/** The bytes a tunnel may relay for its account, taken chunk by chunk (issue 19). */
export interface ByteBudget {
  /** Takes up to `bytes` now; returns how many may be relayed (fewer once the lease is spent). */
  take(bytes: number): number;
  /** Takes `bytes` whole or nothing (a datagram is relayed whole or dropped). */
  takeWhole(bytes: number): boolean;

  /**
   * Resolves true once `atLeast` bytes (1 when not given) may be taken, false when the
   * account's quota cannot give them.
   */
  more(atLeast?: number): Promise<boolean>;
}

export interface ByteAllowanceOptions {
  /** This gateway's name: the holder of its leases. */
  holder: string;
  /** The first lease of an account, and the least one asked for. */
  minLeaseBytes: number;
  /** The largest lease asked for: what an idle gateway can hold back from the other relays. */
  maxLeaseBytes: number;
}

/** A lease asked again within this long of the last one was too small: the next is doubled. */
const BUSY_MS = 1000;
/** After a failed request, the next try. */
const RETRY_MS = 500;
/** An account's lease is released this long after its last tunnel closed (a reconnect keeps it). */
const RELEASE_AFTER_MS = 5000;
/** What an account without quota may take: it is never asked about again. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

class AccountAllowance implements ByteBudget {
  /** Bytes of the lease not yet taken by a tunnel. */
  left = 0;
  /** The next lease's size: grows while the account uses its leases fast, shrinks when idle. */
  size: number;
  /** The store has nothing more to grant: what is left is the last of the quota. */
  exhausted = false;
  lastAsked = 0;
  /** While other holders have the rest of the quota, not asked again before this (ms). */
  notBefore = 0;
  asking: Promise<void> | undefined;
  waiters: ((more: boolean) => void)[] = [];
  release: NodeJS.Timeout | undefined;

  constructor(
    private readonly owner: ByteAllowance,
    readonly accountId: string,
  ) {
    this.size = owner.options.minLeaseBytes;
  }

  take(bytes: number): number {
    const taken = Math.min(bytes, this.left);
    this.left -= taken;
    // Asked for before it is spent, so a steady stream never waits for the answer.
    if (this.left < this.size / 2) this.ask();
    return taken;
  }

  takeWhole(bytes: number): boolean {
    if (this.left < bytes) {
      this.ask();
      return false;
    }
    this.take(bytes);
    return true;
  }

  more(atLeast = 1): Promise<boolean> {
    if (this.left >= atLeast) return Promise.resolve(true);
    if (this.exhausted && !this.asking) return Promise.resolve(false);
    const waiting = new Promise<boolean>((resolve) =>
      this.waiters.push((more) => resolve(more && this.left >= atLeast)),
    );
    this.ask();
    return waiting;
  }

  ask(): void {
    if (this.asking || this.exhausted) return;
    if (this.waiters.length === 0 && Date.now() < this.notBefore) return;
    const asking: Promise<void> = this.owner.lease(this).finally(() => {
      if (this.asking === asking) this.asking = undefined;
    });
    this.asking = asking;
  }

  /** `usedUp`: the store has nothing more to give: once what is left is taken, tunnels stop. */
  settle(granted: number, usedUp: boolean): void {
    // Answered: whoever is woken below may ask again at once.
    this.asking = undefined;
    this.left += granted;
    this.exhausted = usedUp;
    if (this.left > 0 || usedUp) this.wake(this.left > 0);
  }

  wake(more: boolean): void {
    for (const waiter of this.waiters.splice(0)) waiter(more);
  }
}

/**
 * This gateway's byte leases: per account with a quota, an allowance reserved from the quota in
 * the store (so every relay together stays within it), topped up before it runs out, and taken
 * by the tunnels chunk by chunk. A tunnel whose account has nothing left waits for the next
 * lease; told the quota is used up, it stops at that byte. The lease size adapts to the
 * account's rate (about one request a second while it is busy), between the configured bounds.
 * While tunnel-api cannot be reached, what is left of a lease is used up and then tunnels wait.
 */
export class ByteAllowance {
  private readonly accounts = new Map<string, AccountAllowance>();

  constructor(
    private readonly api: Pick<TunnelApiClient, 'leaseBytes' | 'releaseLease'>,
    readonly options: ByteAllowanceOptions,
    /** Sends the bytes relayed and not yet reported (the usage meter's flush). */
    private readonly reportUsage: () => Promise<void>,
    private readonly log: (entry: Record<string, unknown>) => void,
    /** Counts each request by its answer (for /metrics: the store traffic leases cost). */
    private readonly requested: (answer: 'granted' | 'none' | 'failed') => void = () => undefined,
  ) {}

  /** The budget of an account with a quota (undefined: no quota, nothing to lease). */
  budgetFor(accountId: string, hasQuota: boolean): ByteBudget | undefined {
    if (!hasQuota) return undefined;
    let allowance = this.accounts.get(accountId);
    if (!allowance)
      this.accounts.set(accountId, (allowance = new AccountAllowance(this, accountId)));
    clearTimeout(allowance.release);
    allowance.release = undefined;
    // A quota raised since it was used up: ask again.
    allowance.exhausted = false;
    return allowance;
  }

  /** The account's last tunnel on this gateway closed: its lease goes back after a while. */
  idle(accountId: string): void {
    const allowance = this.accounts.get(accountId);
    if (!allowance || allowance.release) return;
    allowance.release = setTimeout(() => {
      this.accounts.delete(accountId);
      allowance.wake(false);
      this.api
        .releaseLease(accountId, this.options.holder)
        .catch(() => undefined /* it lapses by itself */);
    }, RELEASE_AFTER_MS);
    allowance.release.unref();
  }

  /** Bytes this gateway holds leased and not yet relayed (what a test can look at). */
  held(accountId: string): number {
    return this.accounts.get(accountId)?.left ?? 0;
  }

  stop(): void {
    for (const allowance of this.accounts.values()) {
      clearTimeout(allowance.release);
      allowance.wake(false);
    }
    this.accounts.clear();
  }

  /**
   * One request for one account at a time; a failure is retried while tunnels wait. When the
   * store grants nothing:
   * - other holders have the rest of the quota (`quotaLeft` above our own remainder): asked again
   *   after a while (their leases are spent, released or lapse);
   * - all the quota leaves is ours in the store, but we have relayed it: the store has not heard
   *   of those bytes, so they are reported, and it is asked once more;
   * - else the quota is used up.
   */
  async lease(allowance: AccountAllowance): Promise<void> {
    const { minLeaseBytes, maxLeaseBytes } = this.options;
    const now = Date.now();
    if (allowance.lastAsked > 0)
      allowance.size =
        now - allowance.lastAsked < BUSY_MS
          ? Math.min(allowance.size * 2, maxLeaseBytes)
          : Math.max(allowance.size / 2, minLeaseBytes);
    allowance.lastAsked = now;
    for (let reported = false; ;) {
      let answer: ByteLeaseResponse;
      try {
        answer = await this.api.leaseBytes({
          accountId: allowance.accountId,
          holder: this.options.holder,
          bytes: allowance.size,
        });
      } catch (error) {
        this.requested('failed');
        // The account is gone: nothing more of it is relayed.
        if (error instanceof ApiRefusal && error.status === 404) return allowance.settle(0, true);
        this.log({
          level: 'warn',
          message: 'byte lease request failed; tunnels of the account wait for it',
          accountId: allowance.accountId,
          error: (error as Error).message,
        });
        if (!(await this.retryLater(allowance))) return;
        continue;
      }
      this.requested(answer.granted > 0 || answer.unlimited ? 'granted' : 'none');
      if (answer.unlimited) return allowance.settle(UNLIMITED, false);
      if (answer.granted > 0) return allowance.settle(answer.granted, false);
      if ((answer.quotaLeft ?? 0) > answer.remaining) {
        if (!(await this.retryLater(allowance))) return;
        continue;
      }
      if (allowance.left > 0 || reported) return allowance.settle(0, true);
      await this.reportUsage().catch(() => undefined);
      reported = true;
    }
  }

  /** Waits before asking again, while tunnels wait; false when none does (asked later). */
  private async retryLater(allowance: AccountAllowance): Promise<boolean> {
    allowance.notBefore = Date.now() + RETRY_MS;
    if (allowance.waiters.length === 0 || !this.accounts.has(allowance.accountId)) return false;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
    return this.accounts.has(allowance.accountId);
  }
}

/**
 * The account's budget as one tunnel uses it: what the tunnel takes is its usage (`taken`),
 * reported instead of its socket counters, so the store's view of the lease is the gateway's.
 * `delivered`: a chunk that could not be cut went whole (forwarded HTTP reads), and counts whole.
 */
export function tunnelBudget(
  tunnel: { taken: number | undefined },
  budget: ByteBudget,
): ByteBudget & { delivered(bytes: number, taken: number): void } {
  tunnel.taken ??= 0;
  return {
    take(bytes) {
      const taken = budget.take(bytes);
      tunnel.taken = (tunnel.taken ?? 0) + taken;
      return taken;
    },
    takeWhole(bytes) {
      const whole = budget.takeWhole(bytes);
      if (whole) tunnel.taken = (tunnel.taken ?? 0) + bytes;
      return whole;
    },
    more: (atLeast) => budget.more(atLeast),
    delivered(bytes, taken) {
      tunnel.taken = (tunnel.taken ?? 0) + bytes - taken;
    },
  };
}
