import * as z from 'zod/mini';
import { boundedString, idSchema, ipv4Schema, portSchema, timestampSchema } from './primitives';

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Credentials the relay presents to the phone's own proxies, when the phone asks for them. */
export const deviceProxyCredentialsSchema = z.strictObject({
  username: boundedString(1, 255),
  password: boundedString(1, 255),
});

/**
 * The first of three consecutive public ports, so it leaves room for the other two; never a
 * well-known port (SSH, DNS, HTTP(S) of the relay host itself).
 */
export const basePortSchema = z.int().check(z.minimum(1024), z.maximum(65533));

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

/** What a basePort's three ports run into: a port the relay keeps, or another device's. */
export interface BasePortClash {
  with: 'relay' | 'device';
  message: string;
}

/**
 * Why `basePort` cannot be this device's: its three ports meet a port the relay keeps for
 * itself, or another device's three (DNAT matches by destination port only, so the first rule
 * would silently take the other's traffic). Undefined when it is free.
 */
export function basePortClash(
  deviceId: string,
  basePort: number,
  others: readonly Pick<Device, 'id' | 'basePort'>[],
  reserved: readonly { from: number; to: number }[],
): BasePortClash | undefined {
  const last = basePort + 2;
  const span = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);
  const held = reserved.find((range) => basePort <= range.to && range.from <= last);
  if (held)
    return {
      with: 'relay',
      message: `ports ${span(basePort, last)} meet the relay's own ${span(held.from, held.to)}`,
    };
  for (const other of others) {
    if (other.id === deviceId || other.basePort === null) continue;
    if (Math.abs(other.basePort - basePort) > 2) continue;
    return {
      with: 'device',
      message: `ports ${span(basePort, last)} meet device ${other.id}'s ${span(other.basePort, other.basePort + 2)}`,
    };
  }
  return undefined;
}
