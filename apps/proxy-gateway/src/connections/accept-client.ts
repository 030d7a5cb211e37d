import type { Socket } from 'node:net';
import type { ListenerName } from '../config/gateway.config';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { ConnectionRegistry } from './connection-registry';
import type { CloseReason, Tunnel } from './tunnel';

export interface AcceptedClient {
  tunnel: Tunnel;
  /** Ties the tunnel to an account once its owner is known (after auth, or the session lookup). */
  claim(owner: { accountId: string; deviceId: string; sessionId?: string }): void;
  /** Records how the connection ended up (metrics), once. */
  outcome(outcome: string): void;
  /** Arms the idle timeout in place of the handshake deadline. Calling it again re-arms it
   * without adding a listener (the HTTP server disarms it at each kept-alive request). */
  idleFromNowOn(idleMs: number): void;
}

/**
 * The first thing every listener does with a new socket, before any await: an error handler
 * (a reset during the handshake must not crash the process), the handshake deadline, and an
 * entry in the registry that leaves exactly once, at close.
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
  const onHandshakeTimeout = () => socket.destroy();
  socket.setTimeout(handshakeMs, onHandshakeTimeout);
  let idling = false;
  let reported = false;
  const outcome = (name: string) => {
    if (reported) return;
    reported = true;
    metrics.connections.inc({ listener, outcome: name });
  };
  const owner: { accountId?: string; deviceId?: string; sessionId?: string } = {};
  const tunnel: Tunnel = {
    id: registry.newId(),
    listener,
    client: socket,
    get accountId() {
      return owner.accountId;
    },
    get deviceId() {
      return owner.deviceId;
    },
    get sessionId() {
      return owner.sessionId;
    },
    upstream: undefined,
    udpBytesIn: 0,
    udpBytesOut: 0,
    counted: 0,
    close(reason: CloseReason) {
      tunnel.closedBy ??= reason;
      socket.destroy();
      tunnel.upstream?.destroy();
    },
  };
  registry.add(tunnel);
  socket.once('close', () => {
    outcome('closed-early');
    metrics.bytes.inc({ direction: 'in' }, socket.bytesRead + tunnel.udpBytesIn);
    metrics.bytes.inc({ direction: 'out' }, socket.bytesWritten + tunnel.udpBytesOut);
    registry.remove(tunnel);
  });
  return {
    tunnel,
    claim(claimed) {
      registry.reassign(tunnel, () => Object.assign(owner, claimed));
    },
    outcome,
    idleFromNowOn(idleMs) {
      if (!idling) {
        idling = true;
        socket.off('timeout', onHandshakeTimeout);
        socket.on('timeout', () => tunnel.close('idle'));
      }
      socket.setTimeout(idleMs);
    },
  };
}
