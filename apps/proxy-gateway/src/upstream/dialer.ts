import type { Socket } from 'node:net';

export interface Target {
  /** A host name or an IP address. */
  host: string;
  port: number;
}

/** Opens a byte stream to `target` through some upstream; rejects with an UpstreamError. */
export type Dialer = (target: Target) => Promise<Socket>;

/** `host:port`, bracketing IPv6 literals, as CONNECT lines and logs write it. */
export function authority(target: Target): string {
  return target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
}
