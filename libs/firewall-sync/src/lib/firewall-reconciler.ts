import {
  applyRestore,
  clientSetMembers,
  desiredRuleset,
  parseSave,
  planSync,
  type Family,
  type FirewallSettings,
  type FirewallState,
  type SavedRuleset,
} from '@tunnelgate/firewall';
import type { ClientSet } from './client-set';
import type { ForwardBarrier } from './forward-barrier';
import type { Iptables } from './iptables';

export interface ReconcilerLogger {
  log(message: object): void;
  warn(message: object): void;
  error(message: object): void;
}

export interface SyncObserver {
  synced(result: {
    durationMs: number;
    changedChains: number;
    rulesByChain: Map<string, number>;
  }): void;
  failed(error: Error): void;
  /** The canary found the kernel changed behind our back. */
  drifted?(): void;
}

export interface ReconcilerOptions {
  settings: FirewallSettings;
  iptables: Iptables;
  /** The kernel set of client addresses that the REDIRECT rule matches. */
  clientSet: ClientSet;
  /** The nftables barrier, checked and repaired with every full read. */
  barrier?: ForwardBarrier;
  /** The desired state, read fresh for every sync: the store is the truth. */
  loadState: () => Promise<FirewallState>;
  logger: ReconcilerLogger;
  observer?: SyncObserver;
  /** Full read-compare-repair period, fixed: syncs in between never postpone it. */
  resyncIntervalMs?: number;
  /** A cheap look for drift (our jumps, the barrier); any absence triggers a full sync. */
  canary?: { intact(): Promise<boolean> };
  /** How often the canary looks, whatever else the reconciler is doing. */
  canaryIntervalMs?: number;
  /** Retry after a failure: doubles from `retryMinMs` up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  /** Read the kernel instead of trusting the cached state. */
  full: boolean;
}

const FAMILIES: Family[] = ['ipv4', 'ipv6'];

/**
 * Keeps the kernel at the desired state (the kube-proxy / Felix model): every sync reads the
 * store, plans the least change against the kernel's state and applies it atomically.
 * Like Felix, it trusts its own copy of the kernel's state between full reads: a client's
 * connect costs one iptables-restore, not a save of 10,000 rules first. Full reads happen at
 * start, on a fixed period, after any failure, and within a canary period of an external flush
 * (the canary looks for our jumps and barrier on its own timer, which no sync postpones).
 * Requests coalesce: all callers that ask while a sync runs share the single next one, which
 * starts after they asked and so sees what they stored; 100 connects at once cost two syncs.
 */
export class FirewallReconciler {
  private waiters: Waiter[] = [];
  private running = false;
  /** The retry after a failure. */
  private timer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private canaryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private lastSuccessAt: Date | undefined;
  /** The kernel's state as of our last read or write; dropped on any failure. */
  private readonly kernel = new Map<Family, SavedRuleset>();

  constructor(private readonly options: ReconcilerOptions) {}

  /**
   * Syncs now (waits for it); throws when it fails. Then keeps syncing: a full read on a fixed
   * period, and one whenever the canary finds drift.
   */
  async start(): Promise<void> {
    this.stopped = false;
    clearInterval(this.resyncTimer);
    this.resyncTimer = setInterval(
      () => void this.requestSync({ full: true }).catch(() => undefined),
      this.options.resyncIntervalMs ?? 10_000,
    );
    this.resyncTimer.unref();
    this.scheduleCanary();
    await this.requestSync({ full: true });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.resyncTimer);
    clearTimeout(this.canaryTimer);
  }

  private scheduleCanary(): void {
    const canary = this.options.canary;
    if (!canary || this.stopped) return;
    clearTimeout(this.canaryTimer);
    this.canaryTimer = setTimeout(() => {
      void (async () => {
        // A look that cannot even run counts as drift: the full sync then says what is wrong.
        if (!(await canary.intact().catch(() => false)) && !this.stopped) {
          this.options.observer?.drifted?.();
          this.options.logger.warn({
            message: "kernel drift: tunnelgate's jumps or barrier are gone; repairing",
          });
          await this.requestSync({ full: true }).catch(() => undefined);
        }
        this.scheduleCanary();
      })();
    }, this.options.canaryIntervalMs ?? 500);
    this.canaryTimer.unref();
  }

  /** Healthy: the last sync succeeded (a failing one is retried with backoff meanwhile). */
  get healthy(): boolean {
    return this.lastSuccessAt !== undefined && this.failures === 0;
  }

  get lastSuccess(): Date | undefined {
    return this.lastSuccessAt;
  }

  /** Resolves once a sync that started after this call has put the kernel in step. */
  requestSync(options: { full?: boolean } = {}): Promise<void> {
    const full = options.full ?? false;
    const done = new Promise<void>((resolve, reject) =>
      this.waiters.push({ resolve, reject, full }),
    );
    if (!this.running) void this.runSyncs();
    return done;
  }

  /** The retry of a failed sync. */
  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(
      () => void this.requestSync({ full: true }).catch(() => undefined),
      delayMs,
    );
    this.timer.unref();
  }

  private async runSyncs(): Promise<void> {
    this.running = true;
    try {
      while (this.waiters.length > 0) {
        const batch = this.waiters;
        this.waiters = [];
        try {
          await this.syncOnce(batch.some((w) => w.full));
          this.failures = 0;
          this.lastSuccessAt = new Date();
          for (const waiter of batch) waiter.resolve();
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          this.failures++;
          this.kernel.clear();
          this.options.observer?.failed(failure);
          const min = this.options.retryMinMs ?? 500;
          const delay = Math.min(min * 2 ** (this.failures - 1), this.options.retryMaxMs ?? 30_000);
          this.options.logger.error({
            message: 'firewall sync failed',
            error: failure.message,
            failures: this.failures,
            retryInMs: delay,
          });
          for (const waiter of batch) waiter.reject(failure);
          this.schedule(delay);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async syncOnce(full: boolean): Promise<void> {
    const started = process.hrtime.bigint();
    if (full && (await this.options.barrier?.ensure()))
      this.options.logger.warn({ message: 'forward barrier was missing or changed: restored' });
    const state = await this.options.loadState();
    const desired = desiredRuleset(state, this.options.settings);
    // Before the rules: the REDIRECT rule names the set, which must exist when it is written.
    const members = clientSetMembers(state.sessions);
    const setEdits = await this.options.clientSet.sync(members, full);
    let changedChains = 0;
    const rulesByChain = new Map<string, number>();
    for (const family of FAMILIES) {
      const cached = full ? undefined : this.kernel.get(family);
      const current = cached ?? parseSave(await this.options.iptables.save(family));
      const plan = planSync(desired[family], current);
      this.kernel.set(family, current);
      for (const table of Object.values(desired[family])) {
        for (const [chain, rules] of table?.chains ?? [])
          rulesByChain.set(`${family}:${chain}`, rules.length);
      }
      if (plan.restore === '') continue;
      try {
        await this.options.iptables.restore(family, plan.restore);
      } catch (error) {
        // The restore text is what an operator needs to see why the kernel refused it.
        this.options.logger.error({
          message: 'iptables-restore refused the plan',
          family,
          restore: plan.restore.split('\n').slice(0, 50),
        });
        throw error;
      }
      this.kernel.set(family, applyRestore(current, plan.restore));
      changedChains +=
        plan.rewrittenChains.length +
        plan.editedChains.length +
        plan.deletedChains.length +
        plan.fixedJumps.length;
      this.options.logger.log({
        message: 'firewall synced',
        family,
        rewritten: plan.rewrittenChains.length,
        edited: plan.editedChains.length,
        deleted: plan.deletedChains,
        fixedJumps: plan.fixedJumps,
      });
    }
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    rulesByChain.set(`ipv4:set:${this.options.clientSet.name}`, members.size);
    if (setEdits > 0) this.options.logger.log({ message: 'client set synced', edits: setEdits });
    this.options.observer?.synced({
      durationMs,
      changedChains: changedChains + setEdits,
      rulesByChain,
    });
  }
}
