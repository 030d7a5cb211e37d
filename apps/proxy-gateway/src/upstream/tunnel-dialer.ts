import type { Socket } from 'node:net';
import type { Target } from './dialer';
import type { OwnBufferReader } from './own-buffer-reader';

/** A tunnel's upstream leg, answered and ready to relay. */
export interface Dialed {
  socket: Socket;
  /** The socket's own-buffer reader: bytes past the handshake go to it, not to 'data' events. */
  reader: OwnBufferReader;
  /** Whether the client's first bytes went with the request (else the caller sends them). */
  headSent: boolean;
}

/** An upstream connection on its way, before the destination is known (dial while peeking). */
export interface PreparedUpstream {
  /**
   * Opens the stream to `target`, with the client's first bytes (`head`) sent right behind the
   * request when the upstream allows it; rejects with an UpstreamError.
   */
  open(target: Target, head?: Buffer): Promise<Dialed>;
  /** Not needed after all: the connection goes back to its pool while it is clean, or closes. */
  abandon(): void;
}

/** Starts getting an upstream connection for a tunnel (warm from a pool, or a fresh one). */
export type TunnelDialer = () => PreparedUpstream;
