import { connect, type LookupFunction, type Socket } from 'node:net';
import type { OwnBufferReader } from './own-buffer-reader';
import { UpstreamError, upstreamErrorFrom } from './upstream-error';

/**
 * A TCP connection within `timeoutMs`, half-open allowed (half-closes are relayed), Nagle off
 * (tunnels carry interactive traffic). With a `reader`, the socket reads into the reader's own
 * buffer and hands it the chunks (no 'data' events). Rejects with an UpstreamError; never leaks
 * the socket.
 */
export function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
  lookup?: LookupFunction,
  reader?: OwnBufferReader,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      allowHalfOpen: true,
      noDelay: true,
      ...(lookup && { lookup }),
      ...(reader && { onread: reader.onread }),
    });
    if (reader) reader.socket = socket;
    const fail = (error: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      reject(upstreamErrorFrom(error));
    };
    const timer = setTimeout(
      () =>
        fail(
          new UpstreamError('ETIMEDOUT', `no connection to ${host}:${port} within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/**
 * Reads from `socket` until `complete(buffer)` says how many bytes form the answer (or -1 for
 * not yet), within the caller's deadline; whatever came after the answer stays for the next
 * reader (put back on the socket, or kept by the socket's own-buffer `reader`).
 */
export function readAnswer(
  socket: Socket,
  complete: (buffer: Buffer) => number,
  maxBytes: number,
  timeoutMs: number,
  reader?: OwnBufferReader,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    const finish = (error?: Error, answer?: Buffer, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', take);
      socket.off('error', onError);
      socket.off('end', onEnd);
      if (reader) reader.release(rest);
      else if (rest && rest.length > 0) socket.unshift(rest);
      if (error) reject(error);
      else resolve(answer as Buffer);
    };
    /** Whether more bytes are wanted. */
    const take = (chunk: Buffer): boolean => {
      // An own-buffer reader reuses its chunk's memory: concat copies even the first chunk.
      buffer = buffer.length === 0 && !reader ? chunk : Buffer.concat([buffer, chunk]);
      const length = complete(buffer);
      if (length >= 0) {
        if (!reader) socket.pause();
        finish(undefined, buffer.subarray(0, length), buffer.subarray(length));
        return false;
      }
      if (buffer.length <= maxBytes) return true;
      finish(new UpstreamError('PROXY_PROTOCOL', 'upstream proxy answer too long'));
      return false;
    };
    const onError = (error: Error) => finish(upstreamErrorFrom(error));
    const onEnd = () =>
      finish(new UpstreamError('PROXY_PROTOCOL', 'upstream proxy closed during its handshake'));
    const timer = setTimeout(
      () =>
        finish(
          new UpstreamError('ETIMEDOUT', `upstream proxy did not answer within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    socket.on('error', onError);
    socket.on('end', onEnd);
    if (reader) reader.consume(take);
    else {
      socket.on('data', take);
      socket.resume();
    }
  });
}
