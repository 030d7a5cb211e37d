import type { Credentials } from '@tunnelgate/proxy-protocols';
import type { GatewayProtocol } from '@tunnelgate/sessions';
import type { Dialer } from '../upstream/dialer';
import type { TunnelDialer } from '../upstream/tunnel-dialer';
import type { UdpExitFactory } from '../udp/udp-exit';
import type { ByteBudget } from '../control/byte-allowance';

/** Why a client is not let through; each listener turns it into its protocol's answer. */
export type RefusalKind =
  | 'credentials-required'
  | 'wrong-password'
  | 'rate-limited'
  | 'not-allowed'
  | 'over-quota'
  | 'too-many-connections'
  | 'no-session'
  | 'device-unavailable'
  | 'unavailable';

export class AccessRefused extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
  }
}

/** A client let through: whose it is and how its connections leave. */
export interface Grant {
  accountId: string | undefined;
  deviceId: string | undefined;
  sessionId?: string;
  /** The account's byte budget when it has a quota: its tunnels relay only leased bytes. */
  budget?: ByteBudget;
  /** Tunnels' upstream legs. */
  tunnel: TunnelDialer;
  /** Forwarded plain HTTP requests' upstream connections (read by node:http). */
  dial: Dialer;
  /** SOCKS5 UDP ASSOCIATE's exit; absent where UDP cannot be carried. */
  udp?: UdpExitFactory;
}

/** Who may use the gateway, and through which upstream. */
export interface Gatekeeper {
  /**
   * HTTP and SOCKS5 clients: by password, or by source address (whitelists). `boundTo` is the
   * account a kept-alive connection already belongs to: its later requests are that account's
   * (checked again, but for the password, when they carry none) and never another's.
   * `requestId` goes with a password check to tunnel-api (the connection's id), so both logs
   * can be joined.
   */
  login(
    credentials: Credentials | undefined,
    protocol: GatewayProtocol,
    clientIp: string,
    boundTo?: string,
    requestId?: string,
  ): Promise<Grant>;
  /** Can this source use the gateway without credentials (SOCKS5 offers no-auth only then)? */
  mayOmitCredentials(protocol: GatewayProtocol, clientIp: string): boolean;
  /** Transparent clients: by the OpenVPN session holding their source address. */
  admitTransparent(clientIp: string): Promise<Grant>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Undefined when ready; else why not. */
  readonly problem: string | undefined;
  /** Connections to devices kept warm for tunnels, every device summed. */
  readonly warmConnections: number;
}
