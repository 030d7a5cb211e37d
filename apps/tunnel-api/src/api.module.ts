import { Module } from '@nestjs/common';
import { AccountAuthenticator } from './accounts/account-authenticator';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { LoginGuard } from './accounts/login-guard';
import { PasswordCheckQueue } from './accounts/password-check-queue';
import { PasswordHasher } from './accounts/password-hasher';
import { ApiTokenGuard } from './auth/api-token.guard';
import { DevicesController } from './devices/devices.controller';
import { DevicesService } from './devices/devices.service';
import { FirewallModule } from './firewall/firewall.module';
import { GatewayController } from './gateway/gateway.controller';
import { CertificateMetrics } from './metrics/certificate-metrics';
import { RelayMetrics } from './metrics/relay-metrics';
import { OpenvpnController } from './openvpn/openvpn.controller';
import { ProfilesController } from './profiles/profiles.controller';
import { OpenvpnService } from './openvpn/openvpn.service';
import { SessionCloser } from './sessions/session-closer';
import { SessionRetention } from './sessions/session-retention';
import { SessionsController } from './sessions/sessions.controller';
import { WatchController } from './watch/watch.controller';
import { StoreModule } from './store/store.module';

/** The /v1 API: every controller here sits behind the bearer token guard. */
@Module({
  imports: [StoreModule, FirewallModule],
  controllers: [
    OpenvpnController,
    AccountsController,
    DevicesController,
    WatchController,
    GatewayController,
    SessionsController,
    ProfilesController,
  ],
  providers: [
    RelayMetrics,
    CertificateMetrics,
    ApiTokenGuard,
    PasswordHasher,
    LoginGuard,
    PasswordCheckQueue,
    AccountAuthenticator,
    AccountsService,
    DevicesService,
    OpenvpnService,
    SessionCloser,
    SessionRetention,
  ],
})
export class ApiModule {}
