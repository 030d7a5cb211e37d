import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  API_ROUTES,
  openvpnAuthRequestSchema,
  openvpnConnectRequestSchema,
  openvpnDisconnectRequestSchema,
  type OpenvpnAuthRequest,
  type OpenvpnConnectRequest,
  type OpenvpnDisconnectRequest,
} from '@tunnelgate/sessions';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { OpenvpnService } from './openvpn.service';

@Controller()
@UseGuards(ApiTokenGuard)
export class OpenvpnController {
  constructor(private readonly openvpn: OpenvpnService) {}

  @Post(API_ROUTES.openvpnAuth)
  @HttpCode(200)
  auth(@Body(new ZodValidationPipe(openvpnAuthRequestSchema)) body: OpenvpnAuthRequest) {
    return this.openvpn.auth(body);
  }

  @Post(API_ROUTES.openvpnConnect)
  @HttpCode(200)
  connect(@Body(new ZodValidationPipe(openvpnConnectRequestSchema)) body: OpenvpnConnectRequest) {
    return this.openvpn.connect(body);
  }

  @Post(API_ROUTES.openvpnDisconnect)
  @HttpCode(200)
  disconnect(
    @Body(new ZodValidationPipe(openvpnDisconnectRequestSchema)) body: OpenvpnDisconnectRequest,
  ) {
    return this.openvpn.disconnect(body);
  }
}
