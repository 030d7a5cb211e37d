import * as z from 'zod/mini';
import {
  boundedString,
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

export const commonNameSchema = boundedString(1, 255);

/**
 * One OpenVPN customer connection. OpenVPN reuses pool addresses, so a session is identified by
 * its id and by (commonName, vpnIp, connectedAt) together, never by the VPN IP alone.
 */
export const clientSessionSchema = z.strictObject({
  id: idSchema,
  accountId: idSchema,
  username: usernameSchema,
  commonName: commonNameSchema,
  vpnIp: ipv4Schema,
  vpnIp6: z.nullable(ipv6Schema),
  realIp: ipSchema,
  realPort: portSchema,
  deviceId: idSchema,
  upstream: sessionUpstreamSchema,
  connectedAt: timestampSchema,
  closedAt: z.nullable(timestampSchema),
  closeReason: z.nullable(z.enum(SESSION_CLOSE_REASONS)),
  bytesIn: byteCountSchema,
  bytesOut: byteCountSchema,
  state: z.enum(SESSION_STATES),
});

export type ClientSession = z.infer<typeof clientSessionSchema>;
export type SessionUpstream = z.infer<typeof sessionUpstreamSchema>;
