export const STORE_ERROR_CODES = [
  'NOT_FOUND',
  'CONFLICT',
  'REVISION_COMPACTED',
  'SCHEMA_TOO_NEW',
  'CORRUPT_RECORD',
  'UNAVAILABLE',
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
