import { z } from 'zod';
import { deviceProxyCredentialsSchema, deviceSchema } from '../models/device';
import { ipv4Schema, portSchema } from '../models/primitives';

/** PUT /v1/devices/:id — register or update a device; ports default to the phone app's. */
export const deviceUpsertRequestSchema = z.strictObject({
  name: z.string().min(1).max(128),
  vpnIp: ipv4Schema,
  httpPort: portSchema.default(8080),
  socksPort: portSchema.default(1080),
  udpPort: portSchema.default(1081),
  basePort: portSchema.max(65533).nullable().default(null),
  proxyCredentials: deviceProxyCredentialsSchema.nullable().default(null),
});
export type DeviceUpsertRequest = z.input<typeof deviceUpsertRequestSchema>;

/** The device's proxy password never leaves the relay through the API. */
export const publicDeviceSchema = deviceSchema.omit({ proxyCredentials: true }).extend({
  hasProxyCredentials: z.boolean(),
});
export type PublicDevice = z.infer<typeof publicDeviceSchema>;
