import type { Socket } from 'node:net';
import type { ListenerName } from '../config/gateway.config';

/** Why the gateway itself ended a tunnel (other ends are the peers' doing). */
export type CloseReason =
  'kicked' | 'account-changed' | 'over-quota' | 'device-changed' | 'idle' | 'draining' | 'error';

/** One client connection the gateway holds open, and what it is accounted to. */
export interface Tunnel {
  readonly id: number;
  readonly listener: ListenerName;
  readonly client: Socket;
  /** Undefined in device mode (no accounts there). */
  readonly accountId: string | undefined;
  readonly deviceId: string | undefined;
  /** The OpenVPN session a transparent connection belongs to. */
  readonly sessionId: string | undefined;
  upstream: Socket | undefined;
  /** Datagram bytes of a SOCKS5 UDP association, from and to the client (its TCP socket
   * carries none of them). */
  udpBytesIn: number;
  udpBytesOut: number;
  /** Client bytes (in + out) already handed to the usage meter. */
  counted: number;
  /**
   * Set when the tunnel relays under its account's byte leases: its usage is then what it took
   * from them (the bytes the customer's traffic really moved), so the store's view of each lease
   * matches the gateway's; otherwise the socket counters.
   */
  taken: number | undefined;
  /** Set when the gateway itself ended the tunnel. */
  closedBy?: CloseReason;
  /** What the access log says of it: when it was accepted (ms since the epoch), the client's
   * address as seen then, where it asked to go, the name it sent (transparent: SNI or Host)
   * and how that was found, how it ended up and why. */
  readonly acceptedAt: number;
  clientAddress: string | undefined;
  target: string | undefined;
  name: string | undefined;
  via: string | undefined;
  outcome: string | undefined;
  reason: string | undefined;
  /** Ends both legs now. */
  close(reason: CloseReason): void;
}

/**
 * A class, not an object literal: V8 keeps a literal with getters of its own in dictionary mode
 * (slow property lookups on every read of a tunnel's fields).
 */
export class ClientTunnel implements Tunnel {
  /** Set once the owner is known (`claim`); the registry counts the tunnel against it. */
  accountId: string | undefined = undefined;
  deviceId: string | undefined = undefined;
  sessionId: string | undefined = undefined;
  upstream: Socket | undefined = undefined;
  udpBytesIn = 0;
  udpBytesOut = 0;
  counted = 0;
  taken: number | undefined = undefined;
  closedBy: CloseReason | undefined = undefined;
  readonly acceptedAt = Date.now();
  clientAddress: string | undefined = undefined;
  target: string | undefined = undefined;
  name: string | undefined = undefined;
  via: string | undefined = undefined;
  outcome: string | undefined = undefined;
  reason: string | undefined = undefined;

  constructor(
    readonly id: number,
    readonly listener: ListenerName,
    readonly client: Socket,
  ) {}

  close(reason: CloseReason): void {
    this.closedBy ??= reason;
    this.client.destroy();
    this.upstream?.destroy();
  }
}
