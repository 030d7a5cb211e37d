import type { Socket } from 'node:net';
import type { ListenerName } from '../config/gateway.config';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { ConnectionRegistry } from './connection-registry';
import { ClientTunnel, type Tunnel } from './tunnel';

export interface AcceptedClient {
  tunnel: Tunnel;
  /** Ties the tunnel to an account once its owner is known (after auth, or the session lookup). */
  claim(owner: { accountId: string; deviceId: string; sessionId?: string; budget?: unknown }): void;
  /** Records how the connection ended up (metrics, access log) and why, once. */
  outcome(outcome: string, reason?: string): void;
  /** Lifts the handshake deadline (the client has said what it wants). */
  handshakeDone(): void;
  /** Ends the handshake and arms the idle timeout. Calling it again re-arms it without adding
   * a listener (the HTTP server disarms it at each kept-alive request). */
  idleFromNowOn(idleMs: number): void;
}

/**
 * The first thing every listener does with a new socket, before any await: an error handler
 * (a reset during the handshake must not crash the process), the handshake deadline, and an
 * entry in the registry that leaves exactly once, at close.
 *
 * The deadline is a timer, not the socket's idle timeout: a client that sends its handshake one
 * byte at a time is never idle, and must not hold a socket for longer than the deadline either.
 */
export function acceptClient(
  socket: Socket,
  listener: ListenerName,
  registry: ConnectionRegistry,
  metrics: GatewayMetrics,
  handshakeMs: number,
): AcceptedClient {
  socket.on('error', () => socket.destroy());
  socket.setNoDelay(true);
  let deadline: NodeJS.Timeout | undefined = setTimeout(() => socket.destroy(), handshakeMs);
  const handshakeDone = () => {
    clearTimeout(deadline);
    deadline = undefined;
  };
  let idling = false;
  let reported = false;
  const tunnel = new ClientTunnel(registry.newId(), listener, socket);
  const outcome = (name: string, reason?: string) => {
    if (reported) return;
    reported = true;
    tunnel.outcome = name;
    tunnel.reason = reason;
    metrics.counters.outcome(listener, name);
  };
  // Read now: once the socket has closed its address is gone, and the access log needs it.
  tunnel.clientAddress = `${socket.remoteAddress}:${socket.remotePort}`;
  registry.add(tunnel);
  socket.once('close', () => {
    handshakeDone();
    outcome('closed-early');
    registry.remove(tunnel);
  });
  return {
    tunnel,
    claim(claimed) {
      registry.reassign(tunnel, () => {
        tunnel.accountId = claimed.accountId;
        tunnel.deviceId = claimed.deviceId;
        tunnel.sessionId = claimed.sessionId;
        // Under byte leases its usage is what it takes from them, from the first byte: its
        // handshake is not billed, as the leases never paid for it.
        if (claimed.budget) tunnel.taken ??= 0;
      });
    },
    outcome,
    handshakeDone,
    idleFromNowOn(idleMs) {
      if (deadline) handshakeDone();
      if (!idling) {
        idling = true;
        socket.on('timeout', () => tunnel.close('idle'));
      }
      socket.setTimeout(idleMs);
    },
  };
}
