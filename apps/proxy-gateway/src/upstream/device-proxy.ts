import type { Socket } from 'node:net';
import { refuseInvalidTarget, type Dialer, type Target } from './dialer';
import type { OwnBufferReader } from './own-buffer-reader';
import { readAnswer } from './tcp-connect';

/**
 * A connection to a device's proxy that is ready for one request: connected (HTTP), or also
 * greeted and authenticated (SOCKS5).
 */
export interface ReadyConnection {
  socket: Socket;
  /** Its own-buffer reader (a tunnel's); absent on the forwarding agent's sockets. */
  reader: OwnBufferReader | undefined;
}

/** A ready connection a tunnel will use: its bytes are read into its own buffer. */
export type TunnelConnection = ReadyConnection & { reader: OwnBufferReader };

/**
 * How one kind of device proxy is spoken, in the two halves a warm connection splits it into:
 * what may happen before the destination is known, and the request for it.
 */
export interface DeviceProxyProtocol {
  /** Connects and does what comes before the request, within `timeoutMs`; never leaks. */
  prepare(timeoutMs: number, reader?: OwnBufferReader): Promise<ReadyConnection>;
  /** The request that opens a stream to `target`. */
  request(target: Target): Buffer;
  /** The length of the complete answer at the start of `buffer`, or -1 while it arrives. */
  answerLength(buffer: Buffer): number;
  readonly maxAnswerBytes: number;
  /** Throws the UpstreamError an answer means when it is a refusal. */
  check(answer: Buffer): void;
}

/**
 * Sends the request for `target`, with `head` in the same write when given (pipelined: the
 * device proxy reads it as the stream's first bytes once it has connected), and waits for the
 * answer, which it resolves with; bytes after the answer stay for the next reader. Destroys the
 * connection when it fails.
 */
export async function requestStream(
  protocol: DeviceProxyProtocol,
  ready: ReadyConnection,
  target: Target,
  head: Buffer | undefined,
  timeoutMs: number,
): Promise<Buffer> {
  const request = protocol.request(target);
  try {
    ready.socket.write(head && head.length > 0 ? Buffer.concat([request, head]) : request);
    const answer = await readAnswer(
      ready.socket,
      (buffer) => protocol.answerLength(buffer),
      protocol.maxAnswerBytes,
      timeoutMs,
      ready.reader,
    );
    protocol.check(answer);
    return answer;
  } catch (error) {
    ready.socket.destroy();
    throw error;
  }
}

/**
 * A fresh connection through the device proxy per stream, handed over paused: the forwarding
 * agent's (plain `http://` requests), which reads 'data' events and keeps its sockets alive.
 */
export function deviceProxyDialer(protocol: DeviceProxyProtocol, timeoutMs: number): Dialer {
  return async (target) => {
    refuseInvalidTarget(target);
    const startedAt = Date.now();
    const ready = await protocol.prepare(timeoutMs);
    const left = Math.max(1, timeoutMs - (Date.now() - startedAt));
    await requestStream(protocol, ready, target, undefined, left);
    return ready.socket;
  };
}
