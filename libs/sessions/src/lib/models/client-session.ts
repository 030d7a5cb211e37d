import { z } from 'zod';
import {
  byteCountSchema,
  idSchema,
  ipSchema,
  ipv4Schema,
  ipv6Schema,
  portSchema,
  timestampSchema,
  usernameSchema,
} from './primitives';

export const SESSION_STATES = ['active', 'closed'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** Why a session ended; `replaced` is a newer session taking over the same VPN IP. */
export const SESSION_CLOSE_REASONS = [
  'disconnect',
  'replaced',
  'kicked',
  'device-offline',
] as const;
export type SessionCloseReason = (typeof SESSION_CLOSE_REASONS)[number];

/** Where the gateway sends this session's traffic: the device's HTTP proxy (CONNECT). */
export const sessionUpstreamSchema = z.strictObject({
  host: ipv4Schema,
  port: portSchema,
});

/**
 * One OpenVPN customer connection. OpenVPN reuses pool addresses, so a session is identified by
 * its id and by (commonName, vpnIp, connectedAt) together, never by the VPN IP alone.
 */
export const clientSessionSchema = z.strictObject({
  id: idSchema,
  accountId: idSchema,
  username: usernameSchema,
  commonName: z.string().min(1).max(255),
  vpnIp: ipv4Schema,
  vpnIp6: ipv6Schema.nullable(),
  realIp: ipSchema,
  realPort: portSchema,
  deviceId: idSchema,
  upstream: sessionUpstreamSchema,
  connectedAt: timestampSchema,
  closedAt: timestampSchema.nullable(),
  closeReason: z.enum(SESSION_CLOSE_REASONS).nullable(),
  bytesIn: byteCountSchema,
  bytesOut: byteCountSchema,
  state: z.enum(SESSION_STATES),
});

export type ClientSession = z.infer<typeof clientSessionSchema>;
export type SessionUpstream = z.infer<typeof sessionUpstreamSchema>;
