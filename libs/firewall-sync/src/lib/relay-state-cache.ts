import type { DnatDevice, FirewallState, RelayScope } from '@tunnelgate/firewall';
import type { Change, ClientSession, Device } from '@tunnelgate/sessions';
import type { FeedHead, Store, Watch } from '@tunnelgate/store';
import { ClientAddresses } from './client-addresses';
import type { SyncState } from './firewall-reconciler';

const EVERYTHING: RelayScope = { isCustomer: () => true, isDevice: () => true };

/** How long a caller waits for the feed to bring the store's latest change. */
const CATCH_UP_MS = 2000;

export interface CacheLogger {
  warn(message: object): void;
}

/**
 * The firewall's desired state in memory (the informer of kube-proxy and Felix): the store's
 * active sessions and online devices listed once at start, then kept by the store's change feed;
 * listed again only when the feed breaks (compacted, lost) or the store's revision went backwards
 * (a store restored or restarted empty). A sync then reads memory, not the store: no O(N) read
 * and decode of every session per connect.
 */
export class RelayStateCache {
  private readonly devices = new Map<string, DnatDevice>();
  private readonly clients = new ClientAddresses();
  private revision = 0;
  /** The store's epoch that `revision` counts in. */
  private epoch: string | undefined;
  private watch: Watch | undefined;
  private stopped = false;
  private listing: Promise<void> | undefined;
  private listed = false;
  private readonly waiters: { revision: number; resolve: () => void }[] = [];

  constructor(
    private readonly store: Store,
    /** Called after the state changed: a session, a device, or everything (a new listing). */
    private readonly changed: (what: 'session' | 'device' | 'all') => void,
    private readonly logger: CacheLogger,
    private readonly scope: RelayScope = EVERYTHING,
  ) {}

  /**
   * Lists the store; a store that cannot answer yet (down at boot) is listed again every second
   * meanwhile, and `state()` refuses until then, so syncs fail (and are retried) rather than
   * empty the kernel.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.relist().catch((error: Error) => this.listLater(error));
  }

  stop(): void {
    this.stopped = true;
    void this.watch?.stop();
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  state(): FirewallState {
    if (!this.listed) throw new Error('the store has not been listed yet');
    return { sessions: this.clients.sessions(), devices: [...this.devices.values()] };
  }

  /** The state a firewall sync needs; the client addresses are the live set, not a copy. */
  syncState(): SyncState {
    if (!this.listed) throw new Error('the store has not been listed yet');
    return { devices: [...this.devices.values()], clients: this.clients };
  }

  /**
   * Resolves once every change the store holds now is in memory: what a caller stored before
   * asking is then in the state. One O(1) read of the store's revision.
   */
  async caughtUp(): Promise<void> {
    const head = await this.store.changes.head();
    if (this.replaced(head)) return this.relist();
    const target = head.revision;
    if (this.revision >= target || this.stopped) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = { revision: target, resolve };
      this.waiters.push(waiter);
      // A feed that stalls must not hold a connect (nor leave its rule out): list instead.
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.logger.warn({ message: 'the store feed is late; listing it again', target });
        this.relist().catch(reject);
      }, CATCH_UP_MS).unref();
    });
  }

  /** A cheap look for a store whose data was replaced; lists again when it was. */
  async verify(): Promise<void> {
    if (this.replaced(await this.store.changes.head())) {
      this.logger.warn({
        message:
          "the store's data was replaced (another epoch, or its revision went back); listing it again",
      });
      await this.relist();
    }
  }

  /** Another epoch, or a revision behind ours: what we hold is not of this store's data. */
  private replaced(head: FeedHead): boolean {
    if (!this.listed) return false;
    return head.epoch !== this.epoch || head.revision < this.revision;
  }

  /** One listing at a time: callers that ask meanwhile share it. */
  private relist(): Promise<void> {
    this.listing ??= this.list().finally(() => (this.listing = undefined));
    return this.listing;
  }

  private async list(): Promise<void> {
    await this.watch?.stop();
    this.watch = undefined;
    // The revision first: changes made while listing are in the lists and replayed by the watch
    // from this revision, and replaying one is harmless (sets and deletes by id).
    const { revision, epoch } = await this.store.changes.head();
    const [sessions, devices] = await Promise.all([
      this.store.sessions.listActive(),
      this.store.devices.list(),
    ]);
    this.devices.clear();
    this.clients.clear();
    for (const session of sessions) this.setSession(session);
    for (const device of devices) this.setDevice(device);
    this.revision = revision;
    this.epoch = epoch;
    this.listed = true;
    this.release();
    this.changed('all');
    if (!this.stopped) this.watchFrom(revision, epoch);
  }

  private watchFrom(revision: number, epoch: string): void {
    this.watch = this.store.changes.watch(
      revision,
      (change) => this.apply(change),
      (error) => {
        if (this.stopped) return;
        this.logger.warn({ message: 'store watch ended; listing again', error: error.message });
        void this.relist().catch((failure: Error) => this.listLater(failure));
      },
      epoch,
    );
  }

  private listLater(error: Error): void {
    if (this.stopped) return;
    this.logger.warn({
      message: 'listing the store failed; again in a second',
      error: error.message,
    });
    setTimeout(
      () => void this.relist().catch((failure: Error) => this.listLater(failure)),
      1000,
    ).unref();
  }

  private apply(change: Change): void {
    if (change.kind === 'session') {
      if (change.op === 'deleted') this.clients.delete(change.id);
      else this.setSession(change.value);
    } else if (change.kind === 'device') {
      if (change.op === 'deleted') this.devices.delete(change.id);
      else this.setDevice(change.value);
    }
    this.revision = Math.max(this.revision, change.revision);
    this.release();
    if (change.kind !== 'account') this.changed(change.kind);
  }

  private setSession(session: ClientSession): void {
    if (session.state !== 'active' || !this.scope.isCustomer(session.vpnIp))
      return this.clients.delete(session.id);
    this.clients.set(session.id, session.vpnIp);
  }

  private setDevice(device: Device): void {
    if (device.status === 'online' && this.scope.isDevice(device.vpnIp))
      this.devices.set(device.id, pickDevice(device));
    else this.devices.delete(device.id);
  }

  private release(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter && waiter.revision <= this.revision) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

function pickDevice({ id, vpnIp, httpPort, socksPort, udpPort, basePort }: DnatDevice): DnatDevice {
  return { id, vpnIp, httpPort, socksPort, udpPort, basePort };
}
