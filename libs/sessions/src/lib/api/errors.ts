import * as z from 'zod/mini';

/** Codes every app maps to its own surface (HTTP status, hook exit code, SOCKS reply). */
export const API_ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'ACCOUNT_DISABLED',
  'OVER_QUOTA',
  'PROTOCOL_NOT_ALLOWED',
  'SOURCE_NOT_ALLOWED',
  'TOO_MANY_CONNECTIONS',
  'WRONG_PASSWORD',
  'DEVICE_OFFLINE',
  'FIREWALL_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'REVISION_COMPACTED',
  'RATE_LIMITED',
  'AUTH_BUSY',
  'REQUEST_EXPIRED',
  'INTERNAL',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const apiErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(API_ERROR_CODES),
    message: z.string(),
    /** Field-level problems of a rejected body, `path: message`. */
    details: z.optional(z.array(z.string())),
    /** Present on 500s: the key to the full error in tunnel-api's log. */
    errorId: z.optional(z.string()),
  }),
});
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;
