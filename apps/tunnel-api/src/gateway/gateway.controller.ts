import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  API_ROUTES,
  byteLeaseReleaseSchema,
  byteLeaseReleaseResponseSchema,
  byteLeaseRequestSchema,
  byteLeaseResponseSchema,
  connectionSlotsRequestSchema,
  connectionSlotsResponseSchema,
  proxyAuthRequestSchema,
  proxyAuthResponseSchema,
  usageReportRequestSchema,
  usageReportResponseSchema,
  type ByteLeaseRelease,
  type ByteLeaseRequest,
  type ByteLeaseResponse,
  type ConnectionSlotsRequest,
  type ConnectionSlotsResponse,
  type ProxyAuthRequest,
  type ProxyAuthResponse,
  type UsageReportRequest,
  type UsageReportResponse,
} from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import { AccountAuthenticator } from '../accounts/account-authenticator';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { AllowPrincipals } from '../auth/principal';
import { ApiRoute } from '../docs/api-route.decorator';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { ApiError } from '../http/api-error';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { InjectStore } from '../store/store.module';

/**
 * What proxy-gateway asks of tunnel-api besides the watch: password checks, usage reports and
 * byte leases.
 */
@Controller()
@UseGuards(ApiTokenGuard)
@AllowPrincipals('gateway')
export class GatewayController {
  constructor(
    private readonly authenticator: AccountAuthenticator,
    @InjectStore() private readonly store: Store,
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
  ) {}

  @Post(API_ROUTES.proxyAuth)
  @HttpCode(200)
  @ApiRoute({
    summary: "Checks an HTTP or SOCKS5 customer's password (the gateway caches a success briefly)",
    body: proxyAuthRequestSchema,
    response: proxyAuthResponseSchema,
    errors: { 401: 'rejected, with the reason' },
  })
  async auth(
    @Body(new ZodValidationPipe(proxyAuthRequestSchema)) body: ProxyAuthRequest,
  ): Promise<ProxyAuthResponse> {
    const account = await this.authenticator.authenticate(
      body.username,
      body.password,
      body.protocol,
      body.clientIp,
    );
    return { ok: true, accountId: account.id };
  }

  @Post(API_ROUTES.usage)
  @HttpCode(200)
  @ApiRoute({
    summary:
      'Adds relayed bytes to accounts, once per report id (a retry adds nothing); answers their new totals',
    body: usageReportRequestSchema,
    response: usageReportResponseSchema,
  })
  async usage(
    @Body(new ZodValidationPipe(usageReportRequestSchema)) body: UsageReportRequest,
  ): Promise<UsageReportResponse> {
    const applied = await this.store.usage.apply(body);
    const accounts: UsageReportResponse['accounts'] = [];
    for (const { accountId, usedBytes } of applied.totals) {
      const account = await this.store.accounts.get(accountId);
      if (account) accounts.push({ accountId, usedBytes, quotaBytes: account.quotaBytes });
    }
    return { duplicate: applied.duplicate, unknownAccounts: applied.unknownAccounts, accounts };
  }

  @Post(API_ROUTES.usageLeases)
  @HttpCode(200)
  @ApiRoute({
    summary:
      "Tops up (or, with 0 bytes, renews) a gateway's lease on an account's bytes, from what its quota leaves",
    body: byteLeaseRequestSchema,
    response: byteLeaseResponseSchema,
    errors: { 404: 'no such account' },
  })
  async lease(
    @Body(new ZodValidationPipe(byteLeaseRequestSchema)) body: ByteLeaseRequest,
  ): Promise<ByteLeaseResponse> {
    const lease = await this.store.leases.acquire(
      body.accountId,
      body.holder,
      body.bytes,
      this.config.byteLeaseTtlMs,
    );
    if (!lease) throw new ApiError('NOT_FOUND', `no account ${body.accountId}`);
    return lease;
  }

  @Post(API_ROUTES.usageLeaseRelease)
  @HttpCode(200)
  @ApiRoute({
    summary: "Gives what is left of a gateway's lease on an account's bytes back to its quota",
    body: byteLeaseReleaseSchema,
    response: byteLeaseReleaseResponseSchema,
  })
  async release(
    @Body(new ZodValidationPipe(byteLeaseReleaseSchema)) body: ByteLeaseRelease,
  ): Promise<{ released: true }> {
    await this.store.leases.release(body.accountId, body.holder);
    return { released: true };
  }

  @Post(API_ROUTES.connectionSlots)
  @HttpCode(200)
  @ApiRoute({
    summary:
      "Sets how many of an account's connection slots a gateway holds, from what its maxConnections leaves",
    body: connectionSlotsRequestSchema,
    response: connectionSlotsResponseSchema,
    errors: { 404: 'no such account' },
  })
  async slots(
    @Body(new ZodValidationPipe(connectionSlotsRequestSchema)) body: ConnectionSlotsRequest,
  ): Promise<ConnectionSlotsResponse> {
    const hold = await this.store.slots.hold(
      body.accountId,
      body.holder,
      body.wanted,
      body.reserved,
      this.config.connectionSlotTtlMs,
    );
    if (!hold) throw new ApiError('NOT_FOUND', `no account ${body.accountId}`);
    return hold;
  }
}
