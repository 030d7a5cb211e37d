import * as z from 'zod/mini';
import { clientSessionSchema, commonNameSchema } from '../models/client-session';
import {
  boundedString,
  byteCountSchema,
  ipSchema,
  ipv4Schema,
  ipv6Schema,
  portSchema,
  timestampSchema,
  usernameSchema,
} from '../models/primitives';

/** POST /v1/openvpn/auth — auth-user-pass-verify. */
export const openvpnAuthRequestSchema = z.strictObject({
  username: usernameSchema,
  password: boundedString(1, 1024),
  realIp: ipSchema,
});
export type OpenvpnAuthRequest = z.infer<typeof openvpnAuthRequestSchema>;

export const openvpnAuthResponseSchema = z.object({ ok: z.literal(true), accountId: z.string() });
export type OpenvpnAuthResponse = z.infer<typeof openvpnAuthResponseSchema>;

/** POST /v1/openvpn/connect — client-connect. `connectedAt` is OpenVPN's time_unix. */
export const openvpnConnectRequestSchema = z.strictObject({
  username: usernameSchema,
  commonName: commonNameSchema,
  vpnIp: ipv4Schema,
  vpnIp6: z.optional(ipv6Schema),
  realIp: ipSchema,
  realPort: portSchema,
  connectedAt: timestampSchema,
});
export type OpenvpnConnectRequest = z.infer<typeof openvpnConnectRequestSchema>;

export const openvpnConnectResponseSchema = z.object({
  sessionId: z.string(),
  /** Lines for the client's dynamic config file (`push ...`); may be empty. */
  config: z.array(z.string()),
});
export type OpenvpnConnectResponse = z.infer<typeof openvpnConnectResponseSchema>;

/**
 * POST /v1/openvpn/admit — a client of an OpenVPN instance run in management mode (`hook-cli
 * manage`). OpenVPN's CONNECT carries no pool address, so tunnel-api checks the password,
 * chooses a free address in the instance's `subnet` (inside TUNNELGATE_CUSTOMER_SUBNET), stores
 * the session and its rule, and answers the lines to admit the client with (`ifconfig-push`).
 */
export const openvpnAdmitRequestSchema = z.strictObject({
  username: usernameSchema,
  password: boundedString(1, 1024),
  realIp: ipSchema,
  realPort: portSchema,
  subnet: z.cidrv4(),
  /**
   * When the manager stops waiting for this answer: past it nothing is stored (a tunnel-api that
   * was stalled must not admit a client the manager has refused meanwhile).
   */
  deadline: z.optional(timestampSchema),
});
export type OpenvpnAdmitRequest = z.infer<typeof openvpnAdmitRequestSchema>;

export const openvpnAdmitResponseSchema = z.object({
  sessionId: z.string(),
  vpnIp: z.string(),
  commonName: z.string(),
  connectedAt: z.string(),
  /** For OpenVPN's client-auth: the address to push first, then any other config lines. */
  config: z.array(z.string()),
});
export type OpenvpnAdmitResponse = z.infer<typeof openvpnAdmitResponseSchema>;

/** POST /v1/openvpn/disconnect — client-disconnect; idempotent. */
export const openvpnDisconnectRequestSchema = z.strictObject({
  username: usernameSchema,
  commonName: commonNameSchema,
  vpnIp: ipv4Schema,
  connectedAt: timestampSchema,
  bytesReceived: byteCountSchema,
  bytesSent: byteCountSchema,
  durationSeconds: z.int().check(z.minimum(0)),
});
export type OpenvpnDisconnectRequest = z.infer<typeof openvpnDisconnectRequestSchema>;

export const openvpnDisconnectResponseSchema = z.object({
  /** False when there was no such active session (already closed, or never connected). */
  closed: z.boolean(),
  session: z.optional(clientSessionSchema),
});
export type OpenvpnDisconnectResponse = z.infer<typeof openvpnDisconnectResponseSchema>;
