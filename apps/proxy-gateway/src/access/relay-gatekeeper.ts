import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Credentials } from '@tunnelgate/proxy-protocols';
import {
  admissionRefusal,
  cidrMatcher,
  type AdmissionRefusalCode,
  type Device,
  type GatewayProtocol,
  type ProxyProtocol,
  type PublicAccount,
} from '@tunnelgate/sessions';
import * as ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { GatewayConfig, ListenerName } from '../config/gateway.config';
import type { ConnectionRegistry } from '../connections/connection-registry';
import type { Tunnel } from '../connections/tunnel';
import { ApiRefusal, type TunnelApiClient } from '@tunnelgate/api-client';
import type { ByteAllowance } from '../control/byte-allowance';
import type { ConnectionSlots } from '../control/connection-slots';
import type { RelayDirectory } from '../control/relay-directory';
import type { UsageMeter } from '../control/usage-meter';
import { deviceProxyDialer } from '../upstream/device-proxy';
import {
  deviceTunnelDialer,
  tunnelConnection,
  type DeviceDialKind,
} from '../upstream/device-tunnel-dialer';
import { httpConnectProxy } from '../upstream/http-connect-dialer';
import { socks5Proxy } from '../upstream/socks5-dialer';
import { WarmPool } from '../upstream/warm-pool';
import { deviceUdpExit } from '../udp/device-udp-exit';
import { AccessRefused, type Gatekeeper, type Grant } from './gatekeeper';

const SNAPSHOT_TIMEOUT_MS = 10_000;
/** The admission policy's reasons as the listeners answer them (403, 429, SOCKS5 codes). */
const ACCESS_REFUSED_AS: Record<AdmissionRefusalCode, AccessRefused['kind']> = {
  ACCOUNT_DISABLED: 'not-allowed',
  PROTOCOL_NOT_ALLOWED: 'not-allowed',
  SOURCE_NOT_ALLOWED: 'not-allowed',
  OVER_QUOTA: 'over-quota',
  TOO_MANY_CONNECTIONS: 'too-many-connections',
};
/** After tunnel-api failed to answer, how long logins do not ask it again (they fail fast). */
const API_DOWN_MS = 1000;

interface Verified {
  accountId: string;
  /** When tunnel-api last said this password is right (ms since the epoch). */
  at: number;
}
const LISTENER_PROTOCOL: Record<ListenerName, ProxyProtocol> = {
  http: 'http',
  socks5: 'socks5',
  transparent: 'openvpn',
};

/** Only the fields that change where a device's traffic goes; heartbeats change none of them. */
function route(device: Device | undefined): string {
  return device
    ? JSON.stringify([
        device.status,
        device.vpnIp,
        device.httpPort,
        device.socksPort,
        device.udpPort,
        device.proxyCredentials,
      ])
    : 'gone';
}

/** Whether two versions of an account differ in their usage counter alone. */
function onlyUsageChanged(before: PublicAccount, after: PublicAccount): boolean {
  return isDeepStrictEqual({ ...before, usedBytes: 0 }, { ...after, usedBytes: 0 });
}

/**
 * The relay's gate: accounts from tunnel-api (via the directory), passwords checked by
 * tunnel-api once and then remembered briefly, failed logins rate-limited per source address,
 * and every live tunnel re-checked when its account, session or device changes.
 *
 * Fail-static: while tunnel-api cannot be reached, the gate keeps serving from what it last
 * had (the directory's snapshot, and passwords tunnel-api verified within `authStaleMs`), and
 * refuses at once, with 503, what it cannot decide (a password it has not seen, an account it
 * does not know). After a failed call it does not ask tunnel-api again for `API_DOWN_MS`, so a
 * hung tunnel-api costs one timeout, not one per login.
 */
export class RelayGatekeeper implements Gatekeeper {
  /**
   * username + SHA-256(password) → the account and when tunnel-api verified it: fresh for
   * `authCacheMs` (a busy customer pays the slow hash once), usable for `authStaleMs` while
   * tunnel-api is unreachable.
   */
  private readonly verified: LRUCache<string, Verified>;
  private apiDownUntil = 0;
  private readonly cacheKeysByAccount = new Map<string, Set<string>>();
  /** Password checks on their way to tunnel-api, by credentials, protocol and address. */
  private readonly checking = new Map<string, Promise<string>>();
  private readonly failures: RateLimiterMemory;
  private readonly upstreams = new Map<
    string,
    Pick<Grant, 'tunnel' | 'dial' | 'udp'> & { pool: WarmPool | undefined }
  >();
  /** The route each cached upstream was made for. */
  private readonly routes = new Map<string, string>();
  /** Accounts with a whitelist and its parsed matcher; rebuilt after any account change. */
  private whitelists: { account: PublicAccount; allows: (ip: string) => boolean }[] | undefined;

  constructor(
    private readonly directory: RelayDirectory,
    private readonly api: TunnelApiClient,
    private readonly registry: ConnectionRegistry,
    private readonly meter: UsageMeter,
    private readonly allowance: ByteAllowance,
    private readonly slots: ConnectionSlots,
    private readonly config: GatewayConfig,
    private readonly log: (entry: Record<string, unknown>) => void,
    private readonly onDeviceDial: (kind: DeviceDialKind | 'pool') => void = () => undefined,
  ) {
    this.verified = new LRUCache({
      max: 100_000,
      ttl: Math.max(1, config.authCacheMs, config.authStaleMs),
      dispose: ({ accountId }, key) => this.cacheKeysByAccount.get(accountId)?.delete(key),
    });
    this.failures = new RateLimiterMemory({ points: config.authFailuresPerMinute, duration: 60 });
    directory.on('account', (before, after) => this.onAccount(before, after));
    directory.on('sessionEnded', (session) => {
      const closed = this.registry.closeWhere((t) => t.sessionId === session.id, 'kicked');
      if (closed > 0)
        this.log({
          level: 'info',
          message: 'session ended: closed its connections',
          sessionId: session.id,
          closed,
        });
    });
    directory.on('device', (after, id) => this.onDevice(after, id));
    const sampled = registry.onRemove;
    registry.onRemove = (tunnel) => {
      sampled(tunnel);
      if (!tunnel.accountId) return;
      slots.released(tunnel.accountId);
      if (registry.countFor(tunnel.accountId) === 0) allowance.idle(tunnel.accountId);
    };
  }

  get problem(): string | undefined {
    return this.directory.problem;
  }

  async start(): Promise<void> {
    await this.directory.start(SNAPSHOT_TIMEOUT_MS);
    this.meter.start();
  }

  async stop(): Promise<void> {
    this.directory.stop();
    for (const { pool } of this.upstreams.values()) pool?.close();
    this.allowance.stop();
    this.slots.stop();
    await this.meter.stop();
  }

  get warmConnections(): number {
    let sum = 0;
    for (const { pool } of this.upstreams.values()) sum += pool?.size ?? 0;
    return sum;
  }

  mayOmitCredentials(protocol: GatewayProtocol, clientIp: string): boolean {
    return this.whitelisted(protocol, clientIp) !== undefined;
  }

  async login(
    credentials: Credentials | undefined,
    protocol: GatewayProtocol,
    clientIp: string,
    boundTo?: string,
    requestId?: string,
  ): Promise<Grant> {
    if (!credentials) {
      // A whitelist never re-bills a connection that began as another account (or as this
      // one by password): a bound connection's bare requests stay its account's.
      const account =
        boundTo !== undefined
          ? this.directory.account(boundTo)
          : this.whitelisted(protocol, clientIp);
      if (!account) throw new AccessRefused('credentials-required', 'proxy credentials required');
      return this.grant(account, protocol, clientIp, boundTo !== undefined);
    }
    const key = `${credentials.username}\0${createHash('sha256').update(credentials.password).digest('base64')}`;
    const known = this.verified.get(key);
    let accountId =
      known && Date.now() - known.at < this.config.authCacheMs ? known.accountId : undefined;
    if (!accountId) {
      // A busy account's logins that arrive together (a browser opening a page) share one check.
      const flight = `${key}\0${protocol}\0${clientIp}`;
      let check = this.checking.get(flight);
      if (!check) {
        check = this.checkPassword(key, credentials, protocol, clientIp, known, requestId).finally(
          () => this.checking.delete(flight),
        );
        this.checking.set(flight, check);
      }
      accountId = await check;
    }
    if (boundTo !== undefined && accountId !== boundTo)
      throw new AccessRefused(
        'not-allowed',
        'this connection belongs to another account: open a new connection for this one',
      );
    const account = this.directory.account(accountId);
    if (!account)
      throw new AccessRefused('unavailable', 'account not known to this relay yet; retry');
    return this.grant(account, protocol, clientIp, boundTo !== undefined);
  }

  async admitTransparent(clientIp: string): Promise<Grant> {
    const vpnIp = ipaddr.isValid(clientIp) ? ipaddr.process(clientIp).toString() : clientIp;
    let session = this.directory.sessionByVpnIp(vpnIp);
    if (!session) {
      // The watch may trail a connect by a moment: ask tunnel-api itself before refusing.
      session = await this.api.sessionByVpnIp(vpnIp).catch((error: Error) => {
        throw new AccessRefused('unavailable', `session lookup failed: ${error.message}`);
      });
      if (!session) throw new AccessRefused('no-session', `no session holds ${vpnIp}`);
      this.directory.learnSession(session);
    }
    const account = this.directory.account(session.accountId);
    if (!account) throw new AccessRefused('no-session', `session ${session.id} has no account`);
    const refusal = this.refusal(account, 'openvpn', undefined);
    if (refusal) throw refusal;
    return { ...this.route(account), sessionId: session.id };
  }

  /** Asks tunnel-api, within the failed-login limit; serves a stale success while it is down. */
  private async checkPassword(
    key: string,
    credentials: Credentials,
    protocol: GatewayProtocol,
    clientIp: string,
    known: Verified | undefined,
    requestId: string | undefined,
  ): Promise<string> {
    // Charged before the check (and given back after a success): a flood of guesses from one
    // address is refused here, without a request to tunnel-api, once it has used its share.
    const charged = await this.failures.consume(clientIp).then(
      () => true,
      () => false,
    );
    if (!charged)
      throw new AccessRefused(
        'rate-limited',
        'too many failed logins from this address; wait a minute',
      );
    const checked = await this.verify(credentials, protocol, clientIp, requestId).catch(
      (error: AccessRefused) => error,
    );
    // Only a wrong password stays charged.
    if (!(checked instanceof AccessRefused && checked.kind === 'wrong-password'))
      await this.failures.reward(clientIp).catch(() => undefined);
    if (checked instanceof AccessRefused && checked.kind === 'unavailable' && this.usable(known))
      return known.accountId;
    if (checked instanceof Error) throw checked;
    this.remember(key, checked);
    return checked;
  }

  /** A password verified recently enough to serve while tunnel-api cannot check it. */
  private usable(known: Verified | undefined): known is Verified {
    return known !== undefined && Date.now() - known.at < this.config.authStaleMs;
  }

  private async verify(
    credentials: Credentials,
    protocol: GatewayProtocol,
    clientIp: string,
    requestId: string | undefined,
  ): Promise<string> {
    if (Date.now() < this.apiDownUntil)
      throw new AccessRefused(
        'unavailable',
        'tunnel-api is unreachable: cannot check passwords now',
      );
    try {
      return await this.api.proxyAuth(
        { ...credentials, protocol, clientIp: ipaddr.process(clientIp).toString() },
        requestId,
      );
    } catch (error) {
      if (!(error instanceof ApiRefusal)) {
        if (Date.now() >= this.apiDownUntil)
          this.log({
            level: 'warn',
            message:
              'tunnel-api unreachable: logins use passwords it verified recently, others get 503',
            staleMs: this.config.authStaleMs,
            error: (error as Error).message,
          });
        this.apiDownUntil = Date.now() + API_DOWN_MS;
        throw new AccessRefused(
          'unavailable',
          `cannot check passwords now: ${(error as Error).message}`,
        );
      }
      if (error.code === 'WRONG_PASSWORD') throw new AccessRefused('wrong-password', error.message);
      if (error.code === 'RATE_LIMITED') throw new AccessRefused('rate-limited', error.message);
      if (error.code === 'AUTH_BUSY') throw new AccessRefused('unavailable', error.message);
      if (error.code === 'OVER_QUOTA') throw new AccessRefused('over-quota', error.message);
      if (error.status === 400) throw new AccessRefused('wrong-password', 'malformed credentials');
      // Its store is down (STORE_UNAVAILABLE) or it is shedding: nothing is known of the password.
      if (error.status === 503) throw new AccessRefused('unavailable', error.message);
      throw new AccessRefused('not-allowed', error.message);
    }
  }

  private remember(key: string, accountId: string): void {
    if (this.config.authCacheMs === 0 && this.config.authStaleMs === 0) return;
    this.verified.set(key, { accountId, at: Date.now() });
    let keys = this.cacheKeysByAccount.get(accountId);
    if (!keys) this.cacheKeysByAccount.set(accountId, (keys = new Set()));
    keys.add(key);
  }

  /**
   * `holdsSlot`: the connection asking is already counted against the account. The limit counts
   * the account's proxy connections on every relay (slots in the store) and its OpenVPN sessions.
   */
  private async grant(
    account: PublicAccount,
    protocol: ProxyProtocol,
    clientIp: string,
    holdsSlot = false,
  ): Promise<Grant> {
    const refusal = this.refusal(account, protocol, clientIp);
    if (refusal) throw refusal;
    const grant = this.route(account);
    if (
      !holdsSlot &&
      account.maxConnections !== null &&
      !(await this.slots.claim(account.id, account.maxConnections))
    )
      throw new AccessRefused(
        'too-many-connections',
        `account allows ${account.maxConnections} connections`,
      );
    return grant;
  }

  private route(account: PublicAccount): Grant {
    const device = this.directory.device(account.deviceId);
    if (!device || device.status !== 'online')
      throw new AccessRefused('device-unavailable', 'the device of this account is offline');
    return {
      accountId: account.id,
      deviceId: device.id,
      budget: this.allowance.budgetFor(account.id, account.quotaBytes !== null),
      ...this.upstreamsFor(device),
    };
  }

  /**
   * What forbids `account` now (checked at login and again whenever the account changes): the
   * shared admission policy, with this gateway's whitelist matchers and unreported bytes.
   */
  private refusal(
    account: PublicAccount,
    protocol: ProxyProtocol,
    clientIp: string | undefined,
  ): AccessRefused | undefined {
    const refused = admissionRefusal(account, {
      protocol,
      clientIp,
      allowsSource: (ip) => this.whitelistOf(account.id)?.allows(ip) ?? false,
      unreportedBytes: this.meter.unreported(account.id),
    });
    return refused && new AccessRefused(ACCESS_REFUSED_AS[refused.code], refused.message);
  }

  private whitelistEntries() {
    this.whitelists ??= [...this.directory.accounts()]
      .filter((account) => account.cidrWhitelist.length > 0)
      .map((account) => ({ account, allows: cidrMatcher(account.cidrWhitelist) }));
    return this.whitelists;
  }

  private whitelistOf(accountId: string) {
    return this.whitelistEntries().find(({ account }) => account.id === accountId);
  }

  private whitelisted(protocol: GatewayProtocol, clientIp: string): PublicAccount | undefined {
    return this.whitelistEntries().find(
      ({ account, allows }) => account.protocols.includes(protocol) && allows(clientIp),
    )?.account;
  }

  /**
   * Streams through the device's HTTP or SOCKS5 proxy (as configured), tunnels with warm
   * connections when the pool is on; datagrams through its SOCKS5 proxy's UDP ASSOCIATE, the
   * only one of its proxies that carries UDP.
   */
  private upstreamsFor(device: Device): Pick<Grant, 'tunnel' | 'dial' | 'udp'> {
    let upstreams = this.upstreams.get(device.id);
    if (!upstreams) {
      const timeoutMs = this.config.timeouts.connectMs;
      const credentials = device.proxyCredentials;
      const socks = { host: device.vpnIp, port: device.socksPort, credentials };
      const protocol =
        this.config.deviceProxy === 'socks5'
          ? socks5Proxy(socks)
          : httpConnectProxy({ host: device.vpnIp, port: device.httpPort, credentials });
      const pool =
        this.config.pool.max > 0
          ? new WarmPool(tunnelConnection(protocol, timeoutMs), this.config.pool, () =>
              this.onDeviceDial('pool'),
            )
          : undefined;
      upstreams = {
        tunnel: deviceTunnelDialer(protocol, pool, {
          timeoutMs,
          pipeline: this.config.pipeline,
          onDial: this.onDeviceDial,
        }),
        dial: deviceProxyDialer(protocol, timeoutMs),
        udp: deviceUdpExit(socks, device.udpPort, timeoutMs),
        pool,
      };
      this.upstreams.set(device.id, upstreams);
      this.routes.set(device.id, route(device));
    }
    const { tunnel, dial, udp } = upstreams;
    return { tunnel, dial, udp };
  }

  private onAccount(before: PublicAccount | undefined, after: PublicAccount | undefined): void {
    const id = after?.id ?? before?.id ?? '';
    this.whitelists = undefined;
    // Usage moves every few seconds on a busy account and keeps its password checks cached (the
    // quota is checked on every connect anyway); any other change may be a new password or rule.
    if (!(before && after && onlyUsageChanged(before, after)))
      for (const key of [...(this.cacheKeysByAccount.get(id) ?? [])]) this.verified.delete(key);
    const mine = (t: Tunnel) => t.accountId === id;
    if (!after || (before && before.deviceId !== after.deviceId)) {
      this.registry.closeWhere(mine, 'account-changed');
      return;
    }
    for (const tunnel of this.registry.all()) {
      if (!mine(tunnel)) continue;
      const clientIp = tunnel.listener === 'transparent' ? undefined : tunnel.client.remoteAddress;
      const refusal = this.refusal(after, LISTENER_PROTOCOL[tunnel.listener], clientIp);
      if (!refusal) continue;
      this.log({
        level: 'info',
        message: 'closing a live connection',
        accountId: id,
        reason: refusal.message,
      });
      tunnel.close(refusal.kind === 'over-quota' ? 'over-quota' : 'account-changed');
    }
  }

  /** A device whose route changed (offline, moved, new credentials): its tunnels end. */
  private onDevice(after: Device | undefined, id: string): void {
    const previous = this.routes.get(id);
    if (previous === undefined || previous === route(after)) return;
    this.routes.delete(id);
    this.upstreams.get(id)?.pool?.close();
    this.upstreams.delete(id);
    this.registry.closeWhere((t) => t.deviceId === id, 'device-changed');
  }
}
