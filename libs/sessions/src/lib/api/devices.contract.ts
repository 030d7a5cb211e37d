import * as z from 'zod/mini';
import {
  DEVICE_DEFAULT_PORTS,
  basePortSchema,
  deviceProxyCredentialsSchema,
  deviceSchema,
} from '../models/device';
import { boundedString, ipv4Schema, portSchema } from '../models/primitives';

/** PUT /v1/devices/:id — register or update a device; ports default to the phone app's. */
export const deviceUpsertRequestSchema = z.strictObject({
  name: boundedString(1, 128),
  vpnIp: ipv4Schema,
  httpPort: z._default(portSchema, DEVICE_DEFAULT_PORTS.httpPort),
  socksPort: z._default(portSchema, DEVICE_DEFAULT_PORTS.socksPort),
  udpPort: z._default(portSchema, DEVICE_DEFAULT_PORTS.udpPort),
  basePort: z._default(z.nullable(basePortSchema), null),
  proxyCredentials: z._default(z.nullable(deviceProxyCredentialsSchema), null),
});
export type DeviceUpsertRequest = z.input<typeof deviceUpsertRequestSchema>;

/** The device's proxy password never leaves the relay through the API. */
export const publicDeviceSchema = z.extend(z.omit(deviceSchema, { proxyCredentials: true }), {
  hasProxyCredentials: z.boolean(),
});
export type PublicDevice = z.infer<typeof publicDeviceSchema>;
