import type { Socket } from 'node:net';

export interface OriginalDestination {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/**
 * Where a REDIRECTed TCP connection was going before iptables sent it here. A connection
 * conntrack tracks without NAT gives the listener's own address (the loop guard's case); throws
 * an error whose `code` is ENOENT when conntrack does not track it, EBADF when it is closed.
 */
export function originalDestination(socket: Socket): OriginalDestination;
