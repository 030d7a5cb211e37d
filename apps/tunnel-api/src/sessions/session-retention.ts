import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Store } from '@tunnelgate/store';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { InjectStore } from '../store/store.module';

/**
 * Closed sessions are kept TUNNELGATE_SESSION_RETENTION_MS (their counters are the OpenVPN
 * side's record) and then pruned: at start and on a schedule of half that, at most hourly.
 * Active sessions are never touched.
 */
@Injectable()
export class SessionRetention implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectStore() private readonly store: Store,
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
  ) {}

  onModuleInit(): void {
    const retention = this.config.sessionRetentionMs;
    const every = Math.max(1000, Math.min(3_600_000, Math.floor(retention / 2)));
    this.timer = setInterval(() => void this.prune(), every);
    this.timer.unref();
    void this.prune();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async prune(): Promise<void> {
    try {
      const pruned = await this.store.sessions.pruneClosed(
        new Date(Date.now() - this.config.sessionRetentionMs),
      );
      if (pruned > 0) this.logger.log({ message: 'pruned closed sessions', pruned });
    } catch (error) {
      this.logger.warn({
        message: 'pruning closed sessions failed',
        error: (error as Error).message,
      });
    }
  }
}
