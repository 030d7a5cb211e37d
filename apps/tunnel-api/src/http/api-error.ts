import type { ApiErrorCode } from '@tunnelgate/sessions';

/** The HTTP status each error code means on this API: one table, used by the one filter. */
export const STATUS_BY_CODE: Record<ApiErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  WRONG_PASSWORD: 401,
  ACCOUNT_DISABLED: 403,
  OVER_QUOTA: 403,
  PROTOCOL_NOT_ALLOWED: 403,
  SOURCE_NOT_ALLOWED: 403,
  TOO_MANY_CONNECTIONS: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  REVISION_COMPACTED: 410,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  AUTH_BUSY: 503,
  REQUEST_EXPIRED: 503,
  DEVICE_OFFLINE: 503,
  FIREWALL_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
};

/** An error with a code the client can act on; its message is safe to show. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: string[],
    /** When a route answers a code with another status than the table's (auth: all 401). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
