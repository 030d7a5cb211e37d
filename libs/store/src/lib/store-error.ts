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

/**
 * A watcher's revision beyond the store's newest: the store was restored from an older backup,
 * or came back empty (a Redis restart without persistence, a failover to an empty replica).
 * Its changes since are not the ones the watcher missed: it must take a snapshot, as after a
 * trim.
 */
export function aheadOfStore(after: number, head: number): StoreError {
  return new StoreError(
    'REVISION_COMPACTED',
    `revision ${after} is ahead of the store (at ${head}): it was restored or came back empty; take a snapshot`,
  );
}

/** A watcher's position from another generation of the store's data. */
export function otherEpoch(held: string, current: string): StoreError {
  return new StoreError(
    'REVISION_COMPACTED',
    `the store's epoch is ${current}, not ${held}: its data was replaced (restored, flushed, restarted or failed over); take a snapshot`,
  );
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

/**
 * Whether an error means "the store cannot answer now" (as opposed to a bad request): a
 * StoreError UNAVAILABLE, Redis down, timed out or reconnecting, SQLite busy. Callers answer
 * those with 503, never 500.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (isStoreError(error, 'UNAVAILABLE')) return true;
  const { name, message, code } = (error ?? {}) as {
    name?: string;
    message?: string;
    code?: string;
  };
  if (name === 'MaxRetriesPerRequestError') return true;
  if (code === 'SQLITE_BUSY' || code === 'ECONNREFUSED') return true;
  return /Command timed out|Connection is closed|Stream isn't writeable|connect ECONNREFUSED/.test(
    message ?? '',
  );
}
