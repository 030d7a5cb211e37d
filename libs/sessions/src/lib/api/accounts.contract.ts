import { z } from 'zod';
import { PROXY_PROTOCOLS } from '../models/account';
import { byteCountSchema, cidrSchema, idSchema, usernameSchema } from '../models/primitives';

const passwordSchema = z.string().min(8).max(1024);

/** POST /v1/accounts */
export const accountCreateRequestSchema = z.strictObject({
  id: idSchema.optional(),
  username: usernameSchema,
  password: passwordSchema,
  deviceId: idSchema,
  protocols: z
    .array(z.enum(PROXY_PROTOCOLS))
    .min(1)
    .default([...PROXY_PROTOCOLS]),
  cidrWhitelist: z.array(cidrSchema).max(256).default([]),
  quotaBytes: byteCountSchema.nullable().default(null),
  maxConnections: z.number().int().min(1).max(1_000_000).nullable().default(null),
  enabled: z.boolean().default(true),
});
export type AccountCreateRequest = z.input<typeof accountCreateRequestSchema>;

/** PATCH /v1/accounts/:id — every field optional; the password has its own route. */
export const accountUpdateRequestSchema = z
  .strictObject({
    deviceId: idSchema,
    protocols: z.array(z.enum(PROXY_PROTOCOLS)).min(1),
    cidrWhitelist: z.array(cidrSchema).max(256),
    quotaBytes: byteCountSchema.nullable(),
    maxConnections: z.number().int().min(1).max(1_000_000).nullable(),
    enabled: z.boolean(),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field must be given');
export type AccountUpdateRequest = z.infer<typeof accountUpdateRequestSchema>;

/** PUT /v1/accounts/:id/password */
export const accountPasswordRequestSchema = z.strictObject({ password: passwordSchema });

/** GET /v1/accounts?limit=&cursor= */
export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(256).optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}
