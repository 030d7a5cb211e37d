import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';

interface Connection {
  requests: number;
  /** Armed while no request is in hand: the next request's head must be complete by then. */
  nextHeadDeadline: NodeJS.Timeout | undefined;
}

/**
 * The connections the HTTP listener hands to node:http, with the requests in hand on each.
 * node:http never accepts them itself, so its own connection tracking (headersTimeout,
 * closeIdleConnections) does not cover them; this does, for the two things that need it:
 * - a later request's head has a deadline, as the first one has the handshake deadline (the
 *   socket's idle timer alone lets a client drip a head a byte at a time for ever);
 * - a drain closes the connections that have no request in hand at once, and the others once
 *   their answer is out.
 */
export class KeptAliveConnections {
  private readonly connections = new Map<Socket, Connection>();
  private draining = false;

  constructor(private readonly nextHeadMs: number) {}

  adopt(socket: Socket): void {
    this.connections.set(socket, { requests: 0, nextHeadDeadline: undefined });
    socket.once('close', () => this.release(socket));
  }

  /** The connection carries a CONNECT tunnel from now on: the drain gives it its deadline. */
  release(socket: Socket): void {
    clearTimeout(this.connections.get(socket)?.nextHeadDeadline);
    this.connections.delete(socket);
  }

  requestStarted(socket: Socket, res: ServerResponse): void {
    const connection = this.connections.get(socket);
    if (!connection) return;
    clearTimeout(connection.nextHeadDeadline);
    connection.nextHeadDeadline = undefined;
    connection.requests++;
    res.once('close', () => {
      if (this.connections.get(socket) !== connection) return; // gone or a tunnel meanwhile
      if (--connection.requests > 0) return;
      // end(), not destroy(): the answer may still be on its way out.
      if (this.draining) return void socket.end();
      connection.nextHeadDeadline = setTimeout(() => socket.destroy(), this.nextHeadMs);
    });
  }

  /** Closes the connections with no request in hand; the others close after their answer. */
  drain(): void {
    this.draining = true;
    for (const [socket, connection] of this.connections)
      if (connection.requests === 0) socket.destroy();
  }
}
