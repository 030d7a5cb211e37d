import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiRoute } from '../docs/api-route.decorator';
import {
  API_ROUTES,
  openvpnAdmitRequestSchema,
  openvpnAdmitResponseSchema,
  openvpnAuthRequestSchema,
  openvpnAuthResponseSchema,
  openvpnConnectResponseSchema,
  openvpnDisconnectResponseSchema,
  openvpnConnectRequestSchema,
  openvpnDisconnectRequestSchema,
  type OpenvpnAdmitRequest,
  type OpenvpnAuthRequest,
  type OpenvpnConnectRequest,
  type OpenvpnDisconnectRequest,
} from '@tunnelgate/sessions';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { AllowPrincipals } from '../auth/principal';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { OpenvpnService } from './openvpn.service';

@Controller()
@UseGuards(ApiTokenGuard)
@AllowPrincipals('hook')
export class OpenvpnController {
  constructor(private readonly openvpn: OpenvpnService) {}

  @Post(API_ROUTES.openvpnAuth)
  @HttpCode(200)
  @ApiRoute({
    summary: 'auth-user-pass-verify',
    body: openvpnAuthRequestSchema,
    response: openvpnAuthResponseSchema,
    errors: { 401: 'rejected, with the reason for the client' },
  })
  auth(@Body(new ZodValidationPipe(openvpnAuthRequestSchema)) body: OpenvpnAuthRequest) {
    return this.openvpn.auth(body);
  }

  @Post(API_ROUTES.openvpnConnect)
  @HttpCode(200)
  @ApiRoute({
    summary: 'client-connect: answers once the session is stored and its rule is in the kernel',
    body: openvpnConnectRequestSchema,
    response: openvpnConnectResponseSchema,
    errors: {
      403: 'account disabled, over quota or without OpenVPN',
      404: 'unknown account',
      503: 'device offline or firewall unavailable',
    },
  })
  connect(@Body(new ZodValidationPipe(openvpnConnectRequestSchema)) body: OpenvpnConnectRequest) {
    return this.openvpn.connect(body);
  }

  @Post(API_ROUTES.openvpnAdmit)
  @HttpCode(200)
  @ApiRoute({
    summary:
      'management mode: checks the password, chooses the address, stores the session and its rule',
    body: openvpnAdmitRequestSchema,
    response: openvpnAdmitResponseSchema,
    errors: {
      400: 'the subnet is not inside the customer subnet',
      401: 'rejected, with the reason for the client',
      403: 'account disabled, over quota or without OpenVPN',
      409: 'no free address left in the subnet',
      429: 'too many failed logins',
      503: 'device offline, firewall unavailable, or logins shed',
    },
  })
  admit(@Body(new ZodValidationPipe(openvpnAdmitRequestSchema)) body: OpenvpnAdmitRequest) {
    return this.openvpn.admitManaged(body);
  }

  @Post(API_ROUTES.openvpnDisconnect)
  @HttpCode(200)
  @ApiRoute({
    summary: 'client-disconnect (idempotent: unknown or closed sessions are a no-op)',
    body: openvpnDisconnectRequestSchema,
    response: openvpnDisconnectResponseSchema,
  })
  disconnect(
    @Body(new ZodValidationPipe(openvpnDisconnectRequestSchema)) body: OpenvpnDisconnectRequest,
  ) {
    return this.openvpn.disconnect(body);
  }
}
