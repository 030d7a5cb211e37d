import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiRoute } from '../docs/api-route.decorator';
import {
  API_ROUTES,
  clientSessionSchema,
  sessionFilterSchema,
  type SessionFilter,
} from '@tunnelgate/sessions';
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
  @ApiRoute({
    summary: 'Active sessions, by account, device or VPN IP',
    query: sessionFilterSchema,
    response: z.array(clientSessionSchema),
  })
  async list(@Query(new ZodValidationPipe(sessionFilterSchema)) filter: SessionFilter) {
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
  @ApiRoute({
    summary: 'One session, active or closed',
    response: clientSessionSchema,
    errors: { 404: 'no such session' },
  })
  async get(@Param('id', idParam) id: string) {
    const session = await this.store.sessions.get(id);
    if (!session) throw new ApiError('NOT_FOUND', `no session ${id}`);
    return session;
  }

  /** Ends the session now: its rule goes (the gateway closes its connections from the feed). */
  @Post(':id/kick')
  @HttpCode(200)
  @ApiRoute({
    summary: 'End a session now (a closed one is answered as it is)',
    response: clientSessionSchema,
    errors: { 404: 'no such session' },
  })
  async kick(@Param('id', idParam) id: string) {
    const session = await this.get(id);
    if (session.state !== 'active') return session;
    const closed = await this.closer.close(session, 'kicked');
    await this.firewall.sync('clients');
    return closed;
  }
}
