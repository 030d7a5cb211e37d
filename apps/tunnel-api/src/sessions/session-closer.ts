import { Injectable, Logger } from '@nestjs/common';
import type { ClientSession, SessionCloseReason } from '@tunnelgate/sessions';
import type { ActiveSessionFilter, Store } from '@tunnelgate/store';
import { FirewallService } from '../firewall/firewall.service';
import { InjectStore } from '../store/store.module';

/** Ends sessions in the store and waits for the firewall to drop their rules. */
@Injectable()
export class SessionCloser {
  private readonly logger = new Logger('Sessions');

  constructor(
    @InjectStore() private readonly store: Store,
    private readonly firewall: FirewallService,
  ) {}

  async close(
    session: ClientSession,
    reason: SessionCloseReason,
    counters: { bytesIn?: number; bytesOut?: number } = {},
  ): Promise<ClientSession> {
    const closed = await this.store.sessions.update(session.id, {
      state: 'closed',
      closedAt: new Date().toISOString(),
      closeReason: reason,
      ...counters,
    });
    this.logger.log({
      message: 'session closed',
      sessionId: session.id,
      clientIp: session.vpnIp,
      reason,
    });
    return closed;
  }

  async closeWhere(filter: ActiveSessionFilter, reason: SessionCloseReason): Promise<number> {
    const sessions = await this.store.sessions.listActive(filter);
    for (const session of sessions) await this.close(session, reason);
    if (sessions.length > 0) await this.firewall.sync('clients');
    return sessions.length;
  }
}
