import * as z from 'zod/mini';
import {
  cidrWhitelistRequestSchema,
  maxConnectionsSchema,
  PROXY_PROTOCOLS,
  protocolsSchema,
} from '../models/account';
import { boundedString, byteCountSchema, idSchema, usernameSchema } from '../models/primitives';
import { publicAccountSchema } from './gateway.contract';

const passwordSchema = boundedString(8, 1024);

/** POST /v1/accounts */
export const accountCreateRequestSchema = z.strictObject({
  id: z.optional(idSchema),
  username: usernameSchema,
  password: passwordSchema,
  deviceId: idSchema,
  protocols: z._default(protocolsSchema, () => [...PROXY_PROTOCOLS]),
  cidrWhitelist: z._default(cidrWhitelistRequestSchema, () => []),
  quotaBytes: z._default(z.nullable(byteCountSchema), null),
  maxConnections: z._default(z.nullable(maxConnectionsSchema), null),
  enabled: z._default(z.boolean(), true),
});
export type AccountCreateRequest = z.input<typeof accountCreateRequestSchema>;

/** PATCH /v1/accounts/:id — every field optional; the password has its own route. */
export const accountUpdateRequestSchema = z
  .strictObject({
    deviceId: z.optional(idSchema),
    protocols: z.optional(protocolsSchema),
    cidrWhitelist: z.optional(cidrWhitelistRequestSchema),
    quotaBytes: z.optional(z.nullable(byteCountSchema)),
    maxConnections: z.optional(z.nullable(maxConnectionsSchema)),
    enabled: z.optional(z.boolean()),
  })
  .check(z.refine((patch) => Object.keys(patch).length > 0, 'at least one field must be given'));
export type AccountUpdateRequest = z.infer<typeof accountUpdateRequestSchema>;

/** PUT /v1/accounts/:id/password */
export const accountPasswordRequestSchema = z.strictObject({ password: passwordSchema });

/** GET /v1/accounts?limit=&cursor= */
export const pageQuerySchema = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 100),
  cursor: z.optional(boundedString(1, 256)),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** GET /v1/accounts */
export const accountPageSchema = z.object({
  items: z.array(publicAccountSchema),
  nextCursor: z.optional(z.string()),
});

/** GET /v1/accounts/:id/usage */
export const accountUsageSchema = z.object({
  usedBytes: byteCountSchema,
  quotaBytes: z.nullable(byteCountSchema),
  /** The account's OpenVPN sessions open now. */
  activeSessions: z.int().check(z.minimum(0)),
});
export type AccountUsage = z.infer<typeof accountUsageSchema>;
