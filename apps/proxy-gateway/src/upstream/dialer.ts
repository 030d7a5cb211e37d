import type { Socket } from 'node:net';
import type { OwnBufferReader } from './own-buffer-reader';

export interface Target {
  /** A host name or an IP address. */
  host: string;
  port: number;
}

/**
 * Opens a byte stream to `target` through some upstream; rejects with an UpstreamError. With a
 * `reader`, the stream's bytes (past any proxy handshake) go to the reader, not to 'data'.
 */
export type Dialer = (target: Target, reader?: OwnBufferReader) => Promise<Socket>;

/** `host:port`, bracketing IPv6 literals, as CONNECT lines and logs write it. */
export function authority(target: Target): string {
  return target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
}
