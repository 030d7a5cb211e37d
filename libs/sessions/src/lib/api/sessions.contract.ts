import * as z from 'zod/mini';
import { idSchema, ipv4Schema } from '../models/primitives';

/** GET /v1/sessions?accountId=&deviceId=&vpnIp= */
export const sessionFilterSchema = z.strictObject({
  accountId: z.optional(idSchema),
  deviceId: z.optional(idSchema),
  /** The session holding this VPN IP now (the newest, after pool reuse): the gateway's lookup. */
  vpnIp: z.optional(ipv4Schema),
});
export type SessionFilter = z.infer<typeof sessionFilterSchema>;
