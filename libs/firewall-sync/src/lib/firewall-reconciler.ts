import { AsyncResource } from 'node:async_hooks';
import {
  applyRestore,
  desiredRuleset,
  parseSave,
  planSync,
  type Family,
  type DnatDevice,
  type FirewallSettings,
  type FirewallState,
  type SavedRuleset,
} from '@tunnelgate/firewall';
import { ClientAddresses, type ClientAddressSource } from './client-addresses';
import type { ClientSet } from './client-set';
import type { ForwardBarrier } from './forward-barrier';
import type { Iptables } from './iptables';

export interface ReconcilerLogger {
  log(message: object): void;
  warn(message: object): void;
  error(message: object): void;
}

/** What a sync brought in step: the client set only, the rules too, or both after a kernel read. */
export type SyncScope = 'clients' | 'rules' | 'full';

export interface SyncObserver {
  synced(result: {
    scope: SyncScope;
    durationMs: number;
    changedChains: number;
    rulesByChain: Map<string, number>;
  }): void;
  failed(error: Error): void;
  /** The canary found the kernel changed behind our back. */
  drifted?(): void;
}

/** What a sync makes the kernel hold: the devices' rules and the client set's members. */
export interface SyncState {
  devices: readonly DnatDevice[];
  clients: ClientAddressSource;
}

/** A state given whole (tests, benchmarks): every sync compares every client address. */
export function syncStateOf(state: FirewallState): SyncState {
  return { devices: state.devices, clients: ClientAddresses.of(state.sessions) };
}

export interface ReconcilerOptions {
  settings: FirewallSettings;
  iptables: Iptables;
  /** The kernel set of client addresses that the REDIRECT rule matches. */
  clientSet: ClientSet;
  /** The nftables barrier, checked and repaired with every full read. */
  barrier?: ForwardBarrier;
  /** The desired state, read for every sync (from memory kept by the store's feed). */
  loadState: () => Promise<SyncState>;
  logger: ReconcilerLogger;
  observer?: SyncObserver;
  /** Full read-compare-repair period, fixed: syncs in between never postpone it. */
  resyncIntervalMs?: number;
  /** A cheap look for drift (our jumps, the barrier); any absence triggers a full sync. */
  canary?: { intact(): Promise<boolean> };
  /** How often the canary looks, whatever else the reconciler is doing. */
  canaryIntervalMs?: number;
  /**
   * Least time between two syncs of the rules (kube-proxy's minSyncPeriod): a burst of device
   * changes costs one rewrite per period. Client-set syncs (connects, disconnects) and full
   * syncs (start, repair, retry) are never held.
   */
  minSyncPeriodMs?: number;
  /** Retry after a failure: doubles from `retryMinMs` up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  /** Read the kernel instead of trusting the cached state. */
  full: boolean;
  /** The caller needs only the client set in step (a connect or disconnect). */
  clientsOnly: boolean;
  /** The API request that asked (its x-request-id), named on the sync's log lines. */
  requestId?: string;
}

/** At most this many request ids on one sync's log lines (a storm coalesces hundreds). */
const LOGGED_REQUEST_IDS = 20;

/** The requests a coalesced sync serves, for its log lines: their ids (bounded) and count. */
function requestsOf(batch: Waiter[]): { requests?: { ids: string[]; count: number } } {
  const ids = batch.flatMap((w) => (w.requestId ? [w.requestId] : []));
  if (ids.length === 0) return {};
  return { requests: { ids: [...new Set(ids)].slice(0, LOGGED_REQUEST_IDS), count: ids.length } };
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
  /** Rule syncs held back until the minimum period since the last one has passed. */
  private held: Waiter[] = [];
  private heldTimer: NodeJS.Timeout | undefined;
  private lastRulesAt = -Infinity;
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
  /**
   * The sync loop's own async context, made with the reconciler: it serves many requests at
   * once, so it must not carry the context (and so the request id) of whichever asked first.
   */
  private readonly loop = new AsyncResource('tunnelgate.firewall-sync');

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
    clearTimeout(this.heldTimer);
    this.options.clientSet.close();
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

  /**
   * Resolves once a sync that started after this call has put the kernel in step: the client
   * set only when `clientsOnly` (never held), everything otherwise.
   */
  requestSync(
    options: { full?: boolean; clientsOnly?: boolean; requestId?: string } = {},
  ): Promise<void> {
    const full = options.full ?? false;
    const clientsOnly = !full && (options.clientsOnly ?? false);
    const done = new Promise<void>((resolve, reject) =>
      this.waiters.push({ resolve, reject, full, clientsOnly, requestId: options.requestId }),
    );
    if (!this.running) this.loop.runInAsyncScope(() => void this.runSyncs());
    return done;
  }

  /**
   * Takes the waiters to serve now; rule syncs asked for within the minimum period of the last
   * one wait for its end (a timer brings them back).
   */
  private takeBatch(): Waiter[] {
    const batch = this.waiters;
    this.waiters = [];
    const wait = this.lastRulesAt + (this.options.minSyncPeriodMs ?? 200) - performance.now();
    if (wait <= 0 || batch.some((w) => w.full)) return [...batch, ...this.held.splice(0)];
    const hold = batch.filter((w) => !w.clientsOnly);
    if (hold.length === 0) return batch;
    this.held.push(...hold);
    if (!this.heldTimer) {
      this.heldTimer = setTimeout(() => {
        this.heldTimer = undefined;
        this.waiters.push(...this.held.splice(0));
        if (!this.running) void this.runSyncs();
      }, wait);
      this.heldTimer.unref();
    }
    return batch.filter((w) => w.clientsOnly);
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
        const batch = this.takeBatch();
        if (batch.length === 0) continue;
        const scope: SyncScope = batch.some((w) => w.full)
          ? 'full'
          : batch.every((w) => w.clientsOnly)
            ? 'clients'
            : 'rules';
        const requests = requestsOf(batch);
        try {
          await this.syncOnce(scope, requests);
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
            ...requests,
          });
          for (const waiter of batch) waiter.reject(failure);
          this.schedule(delay);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async syncOnce(scope: SyncScope, requests: ReturnType<typeof requestsOf>): Promise<void> {
    const started = process.hrtime.bigint();
    const full = scope === 'full';
    if (full && (await this.options.barrier?.ensure()))
      this.options.logger.warn({ message: 'forward barrier was missing or changed: restored' });
    const state = await this.options.loadState();
    // Before the rules: the REDIRECT rule names the set, which must exist when it is written.
    const setEdits = await this.options.clientSet.sync(state.clients, full);
    let changedChains = 0;
    const rulesByChain = new Map<string, number>();
    if (scope !== 'clients') {
      try {
        changedChains = await this.syncRules(state, full, rulesByChain, requests);
      } finally {
        this.lastRulesAt = performance.now();
      }
    }
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    rulesByChain.set(`ipv4:set:${this.options.clientSet.name}`, state.clients.members.size);
    if (setEdits > 0)
      this.options.logger.log({ message: 'client set synced', edits: setEdits, ...requests });
    this.options.observer?.synced({
      scope,
      durationMs,
      changedChains: changedChains + setEdits,
      rulesByChain,
    });
  }

  /** Plans each family's rules against the kernel's and applies the difference atomically. */
  private async syncRules(
    state: SyncState,
    full: boolean,
    rulesByChain: Map<string, number>,
    requests: ReturnType<typeof requestsOf>,
  ): Promise<number> {
    const desired = desiredRuleset(state, this.options.settings);
    let changedChains = 0;
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
          ...requests,
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
        ...requests,
      });
    }
    return changedChains;
  }
}
