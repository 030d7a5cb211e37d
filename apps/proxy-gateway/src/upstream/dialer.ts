import type { Socket } from 'node:net';
import type { OwnBufferReader } from './own-buffer-reader';

export interface Target {
  /** A host name or an IP address. */
  host: string;
  port: number;
}

/**
 * Opens a byte stream to `target` through some upstream; rejects with an UpstreamError. Given a
 * `reader` (tunnels), the stream's bytes past any proxy handshake go to it, not to 'data' events
 * (which the HTTP forwarding agent's sockets keep).
 */
export type Dialer = (target: Target, reader?: OwnBufferReader) => Promise<Socket>;

/** `host:port`, bracketing IPv6 literals, as CONNECT lines and logs write it. */
export function authority(target: Target): string {
  return target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
}
