import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiRoute } from '../docs/api-route.decorator';
import { API_ROUTES, idSchema, ipv4Schema } from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { AllowPrincipals } from '../auth/principal';
import { FirewallService } from '../firewall/firewall.service';
import { ApiError } from '../http/api-error';
import { idParam } from '../http/id-param.pipe';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { InjectStore } from '../store/store.module';
import { SessionCloser } from './session-closer';

const filterSchema = z.strictObject({
  accountId: z.optional(idSchema),
  deviceId: z.optional(idSchema),
  /** The session holding this VPN IP now (the newest, after pool reuse): the gateway's lookup. */
  vpnIp: z.optional(ipv4Schema),
});

@Controller(API_ROUTES.sessions)
@UseGuards(ApiTokenGuard)
export class SessionsController {
  constructor(
    @InjectStore() private readonly store: Store,
    private readonly closer: SessionCloser,
    private readonly firewall: FirewallService,
  ) {}

  // Gateways look up the session holding a VPN IP that the watch has not delivered yet; the
  // OpenVPN manager compares the active sessions with OpenVPN's own client list.
  @AllowPrincipals('gateway', 'hook')
  @Get()
  @ApiRoute({ summary: 'Active sessions, by account or device', query: filterSchema })
  async list(@Query(new ZodValidationPipe(filterSchema)) filter: z.output<typeof filterSchema>) {
    const { vpnIp, ...byOwner } = filter;
    if (vpnIp === undefined) return this.store.sessions.listActive(byOwner);
    const session = await this.store.sessions.findActiveByVpnIp(vpnIp);
    const matches =
      session &&
      (byOwner.accountId === undefined || session.accountId === byOwner.accountId) &&
      (byOwner.deviceId === undefined || session.deviceId === byOwner.deviceId);
    return matches ? [session] : [];
  }

  @Get(':id')
  @ApiRoute({ summary: 'One session, active or closed', errors: { 404: 'no such session' } })
  async get(@Param('id', idParam) id: string) {
    const session = await this.store.sessions.get(id);
    if (!session) throw new ApiError('NOT_FOUND', `no session ${id}`);
    return session;
  }

  /** Ends the session now: its rule goes (the gateway closes its connections from the feed). */
  @Post(':id/kick')
  @HttpCode(200)
  @ApiRoute({ summary: 'End a session now', errors: { 404: 'no such session' } })
  async kick(@Param('id', idParam) id: string) {
    const session = await this.get(id);
    if (session.state !== 'active') return session;
    const closed = await this.closer.close(session, 'kicked');
    await this.firewall.sync('clients');
    return closed;
  }
}
