import type { Socks5Datagram } from '@tunnelgate/proxy-protocols';

/** What an association does with what comes back through its exit. */
export interface UdpExitHandlers {
  /** A datagram for the client, already in SOCKS5 UDP form (its header names the sender). */
  deliver(packet: Buffer): void;
  /** A client datagram the exit would not send (refused destination, unresolvable name). */
  dropped(reason: string): void;
  /** The exit ended by itself (the device closed its association); the client's ends too. */
  ended(reason: string): void;
}

/** Where a SOCKS5 UDP association's datagrams leave the gateway. */
export interface UdpExit {
  /** One client datagram: the whole SOCKS5 packet and its parsed header. */
  send(packet: Buffer, datagram: Socks5Datagram): void;
  close(): void;
}

/** Opens an exit for one association; rejects with an UpstreamError when there is none. */
export type UdpExitFactory = (handlers: UdpExitHandlers) => Promise<UdpExit>;
