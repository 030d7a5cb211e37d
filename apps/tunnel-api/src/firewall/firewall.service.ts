import { readFileSync } from 'node:fs';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { currentRequestId } from '@tunnelgate/app-runtime';
import { relayScope } from '@tunnelgate/firewall';
import type { Store } from '@tunnelgate/store';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { InjectMetrics, type MetricsRegistry } from '../metrics/metrics.module';
import { InjectStore } from '../store/store.module';
import {
  ClientSet,
  CommandError,
  FirewallReconciler,
  ForwardBarrier,
  Iptables,
  KernelCanary,
  RelayStateCache,
  type CommandRunner,
} from '@tunnelgate/firewall-sync';
import { firewallMetrics } from './firewall-metrics';

/** The process seam: tests put iptables into a network namespace through it. */
export const COMMAND_RUNNER = Symbol('COMMAND_RUNNER');

export type FirewallStatus = 'off' | 'starting' | 'in-sync' | 'failing';

/**
 * tunnel-api's side of the firewall: picks the backend, feeds the reconciler the store's active
 * sessions and online devices from memory (RelayStateCache, kept by the store's change feed),
 * and syncs whenever the feed shows one of them change (whoever changed it: this API, or another
 * relay on a shared Redis).
 */
@Injectable()
export class FirewallService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Firewall');
  private reconciler: FirewallReconciler | undefined;
  private cache: RelayStateCache | undefined;
  private verifier: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
    @InjectStore() private readonly store: Store,
    @InjectMetrics() private readonly metrics: MetricsRegistry,
    @Inject(COMMAND_RUNNER) private readonly runner: CommandRunner,
  ) {}

  get status(): FirewallStatus {
    if (this.config.firewall === 'off' || (this.started && !this.reconciler)) return 'off';
    if (!this.reconciler || !this.reconciler.lastSuccess) return 'starting';
    return this.reconciler.healthy ? 'in-sync' : 'failing';
  }

  /**
   * Resolves when the kernel holds the store's current state (immediately when off): the client
   * set only for 'clients' (what a connect or disconnect changes, never held back), the rules
   * too otherwise.
   */
  async sync(scope: 'clients' | 'all' = 'all'): Promise<void> {
    if (!this.reconciler) return;
    await this.cache?.caughtUp();
    await this.reconciler.requestSync({
      clientsOnly: scope === 'clients',
      requestId: currentRequestId(),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const iptables = await this.pickBackend();
    this.started = true;
    if (!iptables) return;
    const cache = new RelayStateCache(
      this.store,
      (what) =>
        void this.reconciler
          ?.requestSync({ clientsOnly: what === 'session' })
          .catch(() => undefined),
      this.logger,
      relayScope(this.config.firewallSettings),
    );
    this.cache = cache;
    const reconciler = new FirewallReconciler({
      settings: this.config.firewallSettings,
      iptables,
      clientSet: new ClientSet(this.runner),
      barrier: new ForwardBarrier(this.runner, this.config.firewallSettings),
      loadState: async () => cache.syncState(),
      logger: this.logger,
      observer: firewallMetrics(this.metrics),
      resyncIntervalMs: this.config.firewallResyncMs,
      minSyncPeriodMs: this.config.firewallMinSyncMs,
      canary: new KernelCanary(this.runner, iptables, true),
      canaryIntervalMs: this.config.firewallCheckMs,
    });
    await cache.start();
    this.reconciler = reconciler;
    // A store restored or restarted empty shows as a revision that went backwards.
    this.verifier = setInterval(
      () => void cache.verify().catch(() => undefined),
      this.config.firewallResyncMs,
    );
    this.verifier.unref();
    // The first sync may fail (readiness says so); it is retried with backoff meanwhile.
    await reconciler.start().catch(() => undefined);
  }

  onModuleDestroy(): void {
    clearInterval(this.verifier);
    this.reconciler?.stop();
    this.cache?.stop();
  }

  /**
   * Without forwarding, DNATed device ports do not pass, and customers' refused traffic gets "host
   * unreachable" from routing instead of the firewall's answers. A host setting: reported, not
   * changed behind the operator's back.
   */
  private warnIfNotForwarding(): void {
    let forwarding = 'unknown';
    try {
      forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    } catch {
      // no procfs: nothing to say
    }
    if (forwarding === '0')
      this.logger.warn({
        message:
          '!!! net.ipv4.ip_forward is 0: device ports and customer rejects need it (sysctl -w net.ipv4.ip_forward=1) !!!',
      });
  }

  private async pickBackend(): Promise<Iptables | undefined> {
    const mode = this.config.firewall;
    if (mode === 'off') {
      this.logger.warn({
        message: 'firewall is OFF (TUNNELGATE_FIREWALL=off): no client is redirected',
      });
      return undefined;
    }
    try {
      const iptables = await Iptables.detect(this.runner);
      if (mode === 'auto' && process.getuid?.() !== 0) throw new Error('not running as root');
      this.logger.log({ message: 'firewall backend', backend: iptables.backend });
      this.warnIfNotForwarding();
      return iptables;
    } catch (error) {
      const reason = error instanceof CommandError ? error.message : (error as Error).message;
      if (mode === 'iptables')
        throw new Error(`TUNNELGATE_FIREWALL=iptables but iptables is unusable: ${reason}`);
      this.logger.warn({
        message:
          '!!! firewall is OFF: iptables is not usable here; no client will be redirected !!!',
        reason,
      });
      return undefined;
    }
  }
}
