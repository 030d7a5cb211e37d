import type { TunnelApiClient } from '@tunnelgate/api-client';

/** Slots are held again this often (tunnel-api's slot TTL is at least three times this). */
const RENEW_MS = 5000;
/** Slots freed by closed connections go back after this long (a reconnect keeps its slot). */
const SHRINK_AFTER_MS = 1000;

interface AccountSlots {
  /** Slots this gateway holds in the store. */
  held: number;
  /** Logins waiting for a slot. */
  pending: number;
  /** Holds for one account go one at a time, each asking for what is wanted then. */
  queue: Promise<void>;
  shrink: NodeJS.Timeout | undefined;
}

/**
 * This gateway's connection slots, per account with a connection limit: held in the store, so
 * that maxConnections holds across every relay sharing it (issue 19). A login takes a slot this
 * gateway holds spare, or asks the store for one more; closed connections give theirs back a
 * second later; slots are held again every 5 s, and those of a gateway that stops doing so lapse.
 * The OpenVPN sessions the watch shows count against the limit too. While tunnel-api cannot be
 * reached, the limit holds per gateway (its own connections and the OpenVPN sessions).
 */
export class ConnectionSlots {
  private readonly accounts = new Map<string, AccountSlots>();
  private readonly renewer: NodeJS.Timeout;

  constructor(
    private readonly api: Pick<TunnelApiClient, 'holdSlots'>,
    private readonly holder: string,
    /** The account's connections on this gateway, and its OpenVPN sessions (on every relay). */
    private readonly inUse: (accountId: string) => { here: number; openvpn: number },
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    this.renewer = setInterval(() => this.renew(), RENEW_MS);
    this.renewer.unref();
  }

  /** A slot for one more connection; false when the limit is reached on every relay. */
  async claim(accountId: string, limit: number): Promise<boolean> {
    const slots = this.slotsOf(accountId);
    clearTimeout(slots.shrink);
    slots.shrink = undefined;
    slots.pending++;
    try {
      if (this.inUse(accountId).here + slots.pending <= slots.held) return true;
      const answered = await this.hold(accountId, slots);
      if (answered) return this.inUse(accountId).here + slots.pending <= slots.held;
      // tunnel-api unreachable: the limit holds on this gateway alone.
      const { here, openvpn } = this.inUse(accountId);
      return here + openvpn + 1 <= limit;
    } finally {
      slots.pending--;
    }
  }

  /** A connection of the account closed: its slot goes back unless another takes it soon. */
  released(accountId: string): void {
    const slots = this.accounts.get(accountId);
    if (!slots || slots.shrink) return;
    slots.shrink = setTimeout(() => {
      slots.shrink = undefined;
      void this.hold(accountId, slots).then(() => {
        if (slots.held === 0 && slots.pending === 0) this.accounts.delete(accountId);
      });
    }, SHRINK_AFTER_MS);
    slots.shrink.unref();
  }

  stop(): void {
    clearInterval(this.renewer);
    for (const slots of this.accounts.values()) clearTimeout(slots.shrink);
  }

  private slotsOf(accountId: string): AccountSlots {
    let slots = this.accounts.get(accountId);
    if (!slots) {
      slots = { held: 0, pending: 0, queue: Promise.resolve(), shrink: undefined };
      this.accounts.set(accountId, slots);
    }
    return slots;
  }

  private renew(): void {
    for (const [accountId, slots] of this.accounts)
      if (slots.held > 0) void this.hold(accountId, slots);
  }

  /** Asks the store for what is wanted now (in use and waiting); false when it could not. */
  private hold(accountId: string, slots: AccountSlots): Promise<boolean> {
    let answered = false;
    slots.queue = slots.queue.then(async () => {
      const { here, openvpn } = this.inUse(accountId);
      try {
        const answer = await this.api.holdSlots({
          accountId,
          holder: this.holder,
          wanted: here + slots.pending,
          reserved: openvpn,
        });
        slots.held = answer.held;
        answered = true;
      } catch (error) {
        this.log({
          level: 'warn',
          message: 'holding connection slots failed; the limit holds on this gateway meanwhile',
          accountId,
          error: (error as Error).message,
        });
      }
    });
    return slots.queue.then(() => answered);
  }
}
