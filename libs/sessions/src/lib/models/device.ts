import * as z from 'zod/mini';
import { boundedString, idSchema, ipv4Schema, portSchema, timestampSchema } from './primitives';

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Credentials the relay presents to the phone's own proxies, when the phone asks for them. */
export const deviceProxyCredentialsSchema = z.strictObject({
  username: boundedString(1, 255),
  password: boundedString(1, 255),
});

/** The first of three consecutive public ports, so it leaves room for the other two. */
export const basePortSchema = z.int().check(z.minimum(1), z.maximum(65533));

/**
 * A phone holding a VPN tunnel to this relay. Its proxies listen on `vpnIp`; `basePort` is the
 * first of the three public ports DNATed to it (HTTP, SOCKS5, UDP relay), or null when the
 * device is reachable only through the gateway.
 */
export const deviceSchema = z.strictObject({
  id: idSchema,
  name: boundedString(1, 128),
  vpnIp: ipv4Schema,
  httpPort: portSchema,
  socksPort: portSchema,
  udpPort: portSchema,
  basePort: z.nullable(basePortSchema),
  proxyCredentials: z.nullable(deviceProxyCredentialsSchema),
  status: z.enum(DEVICE_STATUSES),
  lastSeenAt: z.nullable(timestampSchema),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

export type Device = z.infer<typeof deviceSchema>;
export type DeviceProxyCredentials = z.infer<typeof deviceProxyCredentialsSchema>;

export const DEVICE_DEFAULT_PORTS = { httpPort: 8080, socksPort: 1080, udpPort: 1081 } as const;

/** The public ports a device's basePort opens, in the order the platform documents them. */
export function devicePublicPorts(device: Pick<Device, 'basePort'>) {
  if (device.basePort === null) return null;
  return { http: device.basePort, socks5: device.basePort + 1, udp: device.basePort + 2 };
}
