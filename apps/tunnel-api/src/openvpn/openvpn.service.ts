import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  admissionRefusal,
  type OpenvpnAdmitRequest,
  type OpenvpnAdmitResponse,
  type OpenvpnAuthRequest,
  type OpenvpnAuthResponse,
  type OpenvpnConnectRequest,
  type OpenvpnConnectResponse,
  type OpenvpnDisconnectRequest,
  type OpenvpnDisconnectResponse,
} from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import * as ipaddr from 'ipaddr.js';
import { AccountAuthenticator } from '../accounts/account-authenticator';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { FirewallService } from '../firewall/firewall.service';
import { ApiError } from '../http/api-error';
import { SessionCloser } from '../sessions/session-closer';
import { RelayMetrics } from '../metrics/relay-metrics';
import { InjectStore } from '../store/store.module';
import { AddressPool } from './address-pool';

/** OpenVPN's three hooks, and the management-mode manager's admit, as tunnel-api answers them. */
@Injectable()
export class OpenvpnService {
  private readonly logger = new Logger('OpenVPN');
  private readonly pool = new AddressPool();

  constructor(
    @InjectStore() private readonly store: Store,
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
    private readonly authenticator: AccountAuthenticator,
    private readonly firewall: FirewallService,
    private readonly closer: SessionCloser,
    private readonly metrics: RelayMetrics,
  ) {}

  /** Every rejection is a 401 whose message the customer's client shows. */
  async auth(request: OpenvpnAuthRequest): Promise<OpenvpnAuthResponse> {
    const account = await this.authenticator.authenticate(
      request.username,
      request.password,
      'openvpn',
      request.realIp,
    );
    return { ok: true, accountId: account.id };
  }

  /**
   * A management-mode client: the password, then an address of the instance's subnet (OpenVPN's
   * CONNECT has none), then the same admission as client-connect. The client gets its address
   * pushed, and is let in only once its rule is in the kernel.
   */
  async admitManaged(request: OpenvpnAdmitRequest): Promise<OpenvpnAdmitResponse> {
    const customers = ipaddr.IPv4.parseCIDR(this.config.firewallSettings.customerSubnet);
    const [network, prefix] = ipaddr.IPv4.parseCIDR(request.subnet);
    if (prefix < customers[1] || !network.match(customers))
      throw new ApiError(
        'VALIDATION_FAILED',
        `subnet ${request.subnet} is not inside the relay's customer subnet ${this.config.firewallSettings.customerSubnet}`,
      );
    await this.authenticator.authenticate(
      request.username,
      request.password,
      'openvpn',
      request.realIp,
    );
    if (request.deadline !== undefined && Date.now() > Date.parse(request.deadline))
      throw new ApiError(
        'REQUEST_EXPIRED',
        'the manager stopped waiting for this admit before it could be served',
      );
    const used = new Set((await this.store.sessions.listActive()).map((s) => s.vpnIp));
    const vpnIp = this.pool.take(request.subnet, used);
    if (!vpnIp) {
      this.metrics.connects.inc({ outcome: 'POOL_EXHAUSTED' });
      throw new ApiError('CONFLICT', `no free address left in ${request.subnet}`);
    }
    try {
      const connectedAt = new Date().toISOString();
      // username-as-common-name: the manager's clients are known by their username.
      const commonName = request.username;
      const { sessionId } = await this.connect({
        username: request.username,
        commonName,
        vpnIp,
        realIp: request.realIp,
        realPort: request.realPort,
        connectedAt,
      });
      const netmask = ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString();
      return {
        sessionId,
        vpnIp,
        commonName,
        connectedAt,
        config: [`ifconfig-push ${vpnIp} ${netmask}`],
      };
    } finally {
      this.pool.release(vpnIp);
    }
  }

  /**
   * Answers only once the session is stored and its REDIRECT rule is in the kernel: the hook
   * admits the client on this answer alone. The same connect twice (a retried hook) yields the
   * same session; an older session still on the VPN IP (missed disconnect) is closed first.
   */
  async connect(request: OpenvpnConnectRequest): Promise<OpenvpnConnectResponse> {
    try {
      const answer = await this.admit(request);
      this.metrics.connects.inc({ outcome: 'admitted' });
      return answer;
    } catch (error) {
      this.metrics.connects.inc({ outcome: error instanceof ApiError ? error.code : 'INTERNAL' });
      throw error;
    }
  }

  private async admit(request: OpenvpnConnectRequest): Promise<OpenvpnConnectResponse> {
    const account = await this.store.accounts.getByUsername(request.username);
    if (!account) throw new ApiError('NOT_FOUND', `unknown account ${request.username}`);
    const refused = admissionRefusal(account, { protocol: 'openvpn', clientIp: request.realIp });
    if (refused) throw new ApiError(refused.code, refused.message);
    const device = await this.store.devices.get(account.deviceId);
    if (device?.status !== 'online')
      throw new ApiError('DEVICE_OFFLINE', `device ${account.deviceId} of this account is offline`);

    const existing = await this.store.sessions.findActiveByVpnIp(request.vpnIp);
    if (
      existing &&
      existing.commonName === request.commonName &&
      existing.connectedAt === request.connectedAt
    ) {
      await this.syncOrFail(existing.id);
      return { sessionId: existing.id, config: [] };
    }
    if (existing) await this.closer.close(existing, 'replaced');
    if (account.maxConnections !== null) {
      // The session this one replaces (same VPN IP) was closed just above and no longer counts.
      // The gateways' proxy connections count too, on every relay (their slots in the store).
      const connections =
        (await this.store.sessions.listActive({ accountId: account.id })).length +
        (await this.store.slots.held(account.id));
      const full = admissionRefusal(account, { protocol: 'openvpn', connections });
      if (full) throw new ApiError(full.code, full.message);
    }

    const session = await this.store.sessions.create({
      id: randomUUID(),
      accountId: account.id,
      username: account.username,
      commonName: request.commonName,
      vpnIp: request.vpnIp,
      vpnIp6: request.vpnIp6 ?? null,
      realIp: request.realIp,
      realPort: request.realPort,
      deviceId: device.id,
      upstream: { host: device.vpnIp, port: device.httpPort },
      connectedAt: request.connectedAt,
      closedAt: null,
      closeReason: null,
      bytesIn: 0,
      bytesOut: 0,
      state: 'active',
    });
    try {
      await this.syncOrFail(session.id);
    } catch (error) {
      // Not admitted: leave no active session behind for a client OpenVPN will reject.
      await this.closer.close(session, 'disconnect');
      throw error;
    }
    this.logger.log({
      message: 'client connected',
      sessionId: session.id,
      clientIp: session.vpnIp,
      deviceId: device.id,
    });
    return { sessionId: session.id, config: [] };
  }

  /** Closes the session with this identity, if it is still the active one; a no-op otherwise. */
  async disconnect(request: OpenvpnDisconnectRequest): Promise<OpenvpnDisconnectResponse> {
    const active = await this.store.sessions.findActiveByVpnIp(request.vpnIp);
    if (
      !active ||
      active.commonName !== request.commonName ||
      active.connectedAt !== request.connectedAt
    ) {
      return { closed: false };
    }
    // OpenVPN's bytes_received is what the client sent: the session's bytes in.
    const session = await this.closer.close(active, 'disconnect', {
      bytesIn: request.bytesReceived,
      bytesOut: request.bytesSent,
    });
    await this.firewall.sync('clients').catch((error: Error) =>
      this.logger.warn({
        message: 'firewall sync after disconnect failed; the retry will remove the rule',
        error: error.message,
      }),
    );
    return { closed: true, session };
  }

  private async syncOrFail(sessionId: string): Promise<void> {
    try {
      await this.firewall.sync('clients');
    } catch (error) {
      this.logger.error({
        message: 'firewall sync failed during connect',
        sessionId,
        error: (error as Error).message,
      });
      throw new ApiError('FIREWALL_UNAVAILABLE', 'the relay cannot program its firewall right now');
    }
  }
}
