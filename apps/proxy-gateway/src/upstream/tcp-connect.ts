import { connect, type LookupFunction, type Socket } from 'node:net';
import { UpstreamError, upstreamErrorFrom } from './upstream-error';

/**
 * A TCP connection within `timeoutMs`, half-open allowed (half-closes are relayed), Nagle off
 * (tunnels carry interactive traffic). Rejects with an UpstreamError; never leaks the socket.
 */
export function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
  lookup?: LookupFunction,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      allowHalfOpen: true,
      noDelay: true,
      ...(lookup && { lookup }),
    });
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
 * not yet), within the caller's deadline; puts back whatever came after the answer.
 */
export function readAnswer(
  socket: Socket,
  complete: (buffer: Buffer) => number,
  maxBytes: number,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    const finish = (error?: Error, answer?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      if (error) reject(error);
      else resolve(answer as Buffer);
    };
    const onData = (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const length = complete(buffer);
      if (length >= 0) {
        socket.pause();
        if (length < buffer.length) socket.unshift(buffer.subarray(length));
        return finish(undefined, buffer.subarray(0, length));
      }
      if (buffer.length > maxBytes)
        finish(new UpstreamError('PROXY_PROTOCOL', 'upstream proxy answer too long'));
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
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.resume();
  });
}
