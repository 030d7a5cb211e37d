import { refuseInvalidTarget } from './dialer';
import { requestStream, type DeviceProxyProtocol, type TunnelConnection } from './device-proxy';
import { OwnBufferReader } from './own-buffer-reader';
import type { Dialed, TunnelDialer } from './tunnel-dialer';
import { UpstreamError, upstreamErrorFrom } from './upstream-error';
import type { WarmPool } from './warm-pool';

export type DeviceDialKind = 'warm' | 'cold' | 'retried';

export interface DeviceTunnelOptions {
  timeoutMs: number;
  /** Send the client's first bytes with the request, before the device answers. */
  pipeline: boolean;
  onDial?: (kind: DeviceDialKind) => void;
}

/**
 * A warm connection that turned out dead (the device closed it, or answered garbage, between
 * our last look and our request): what a fresh one would not have met.
 */
const DEAD_CONNECTION = new Set([
  'ECONNRESET',
  'EPIPE',
  'PROXY_PROTOCOL',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/**
 * A connection may wait for its request (the transparent listener peeks meanwhile) with nobody
 * else listening: an error then (the device reset it) must not go unhandled. It shows again in
 * the request's write or read, where it counts.
 */
function guarded(connection: TunnelConnection): TunnelConnection {
  connection.socket.on('error', () => undefined);
  return connection;
}

/** A connection for the pool: the same as a fresh one for a tunnel. */
export function tunnelConnection(
  protocol: DeviceProxyProtocol,
  timeoutMs: number,
): () => Promise<TunnelConnection> {
  return async () => {
    const reader = new OwnBufferReader();
    return { ...(await protocol.prepare(timeoutMs, reader)), reader };
  };
}

/**
 * Tunnels through a device's proxy: a warm connection from the pool when there is one (else a
 * fresh one, begun as soon as the tunnel is: while the listener still learns the destination),
 * the request and the client's first bytes in one write (pipelining), and one retry on a fresh
 * connection when a warm one was dead, with the same bytes, so the customer never sees it.
 */
export function deviceTunnelDialer(
  protocol: DeviceProxyProtocol,
  pool: WarmPool | undefined,
  options: DeviceTunnelOptions,
): TunnelDialer {
  const fresh = tunnelConnection(protocol, options.timeoutMs);
  return () => {
    const warm = pool?.take();
    const preparedAt = Date.now();
    const ready: Promise<TunnelConnection> = warm
      ? Promise.resolve(guarded(warm))
      : fresh().then(guarded);
    // An abandoned dial's failure is nobody's error.
    ready.catch(() => undefined);
    const attempt = async (
      connection: TunnelConnection,
      startedAt: number,
      target: Parameters<typeof refuseInvalidTarget>[0],
      head: Buffer | undefined,
    ): Promise<Dialed> => {
      const { socket } = connection;
      // Closed while it waited: no write or read on it would ever say so.
      if (socket.destroyed || !socket.writable || socket.readableEnded) {
        socket.destroy();
        throw new UpstreamError('ECONNRESET', 'the connection to the device closed before use');
      }
      const left = Math.max(1, options.timeoutMs - (Date.now() - startedAt));
      await requestStream(protocol, connection, target, head, left);
      return { socket, reader: connection.reader, headSent: head !== undefined };
    };
    return {
      async open(target, head) {
        try {
          refuseInvalidTarget(target);
        } catch (error) {
          this.abandon();
          throw error;
        }
        const pipelined = options.pipeline && head && head.length > 0 ? head : undefined;
        options.onDial?.(warm ? 'warm' : 'cold');
        try {
          return await attempt(await ready, preparedAt, target, pipelined);
        } catch (error) {
          if (!warm || !DEAD_CONNECTION.has(upstreamErrorFrom(error).code)) throw error;
          options.onDial?.('retried');
          const startedAt = Date.now();
          return attempt(await fresh(), startedAt, target, pipelined);
        }
      },
      abandon() {
        void ready.then(
          (connection) => (pool ? pool.giveBack(connection) : connection.socket.destroy()),
          () => undefined,
        );
      },
    };
  };
}
