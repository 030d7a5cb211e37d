import { z } from 'zod';
import { idSchema, ipv4Schema, portSchema, timestampSchema } from './primitives';

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Credentials the relay presents to the phone's own proxies, when the phone asks for them. */
export const deviceProxyCredentialsSchema = z.strictObject({
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(255),
});

/**
 * A phone holding a VPN tunnel to this relay. Its proxies listen on `vpnIp`; `basePort` is the
 * first of the three public ports DNATed to it (HTTP, SOCKS5, UDP relay), or null when the
 * device is reachable only through the gateway.
 */
export const deviceSchema = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(128),
  vpnIp: ipv4Schema,
  httpPort: portSchema,
  socksPort: portSchema,
  udpPort: portSchema,
  basePort: portSchema.max(65533).nullable(),
  proxyCredentials: deviceProxyCredentialsSchema.nullable(),
  status: z.enum(DEVICE_STATUSES),
  lastSeenAt: timestampSchema.nullable(),
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
