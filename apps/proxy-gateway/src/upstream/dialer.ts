import type { Socket } from 'node:net';
import { isValidTargetHost } from '@tunnelgate/proxy-protocols';
import { UpstreamError } from './upstream-error';

export interface Target {
  /** A host name or an IP address. */
  host: string;
  port: number;
}

/**
 * Opens a byte stream to `target` through some upstream, handed over paused; rejects with an
 * UpstreamError. The forwarding agent's: its sockets are read by 'data' events (tunnels use a
 * TunnelDialer).
 */
export type Dialer = (target: Target) => Promise<Socket>;

/** `host:port`, bracketing IPv6 literals, as CONNECT lines and logs write it. */
export function authority(target: Target): string {
  return target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
}

/**
 * The device-side writers' own check (the listeners check first): a request line or SOCKS5
 * DOMAINNAME is only ever written for a host name or IP literal.
 */
export function refuseInvalidTarget(target: Target): void {
  if (!isValidTargetHost(target.host))
    throw new UpstreamError('BAD_TARGET', 'the destination is not a valid host name or address');
}
