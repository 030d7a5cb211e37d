import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  API_ROUTES,
  proxyAuthRequestSchema,
  proxyAuthResponseSchema,
  usageReportRequestSchema,
  usageReportResponseSchema,
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
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { InjectStore } from '../store/store.module';

/** What proxy-gateway asks of tunnel-api besides the watch: password checks and usage reports. */
@Controller()
@UseGuards(ApiTokenGuard)
@AllowPrincipals('gateway')
export class GatewayController {
  constructor(
    private readonly authenticator: AccountAuthenticator,
    @InjectStore() private readonly store: Store,
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
}
