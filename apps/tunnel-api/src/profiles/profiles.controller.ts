import { readFileSync } from 'node:fs';
import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { API_ROUTES } from '@tunnelgate/sessions';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { ApiRoute } from '../docs/api-route.decorator';
import { ApiError } from '../http/api-error';
import { idParam } from '../http/id-param.pipe';
import { AccountsService } from '../accounts/accounts.service';
import { renderProfile } from './openvpn-profile';

@Controller(API_ROUTES.accounts)
@UseGuards(ApiTokenGuard)
export class ProfilesController {
  constructor(
    private readonly accounts: AccountsService,
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
  ) {}

  @Get(':id/openvpn-profile')
  @ApiRoute({
    summary: 'The OpenVPN client profile of an account (no credentials inside)',
    response: {
      mediaType: 'application/x-openvpn-profile',
      description:
        'an OpenVPN client config, the CA inline; the client asks for username and password',
    },
    errors: { 404: 'no such account', 503: 'the relay has no OpenVPN endpoint configured' },
  })
  async profile(
    @Param('id', idParam) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const account = await this.accounts.get(id);
    const openvpn = this.config.openvpn;
    if (!openvpn.remote || !openvpn.caFile) {
      throw new ApiError(
        'INTERNAL',
        'set TUNNELGATE_OPENVPN_REMOTE and TUNNELGATE_OPENVPN_CA_FILE to serve profiles',
        undefined,
        503,
      );
    }
    // Read per request: a rotated CA or an edited template takes effect without a restart.
    const profile = renderProfile(readFileSync(openvpn.profileTemplate, 'utf8'), {
      username: account.username,
      remote: openvpn.remote,
      port: openvpn.port,
      proto: openvpn.proto === 'tcp' ? 'tcp-client' : 'udp',
      ca: readFileSync(openvpn.caFile, 'utf8'),
    });
    // Set only on success: an error answer stays JSON.
    void reply.header('content-type', 'application/x-openvpn-profile; charset=utf-8');
    void reply.header('content-disposition', `attachment; filename="${account.username}.ovpn"`);
    return profile;
  }
}
