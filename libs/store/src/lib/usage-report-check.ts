import { StoreError } from './store-error';
import { MAX_LEASE_BYTES, type UsageReport } from './store';

/** A report either applies whole or not at all: a bad entry refuses it before anything counts. */
export function assertValidUsageReport(report: UsageReport): void {
  for (const { accountId, bytes } of report.entries) {
    if (!Number.isSafeInteger(bytes) || bytes < 0)
      throw new StoreError(
        'CORRUPT_RECORD',
        `usage for ${accountId} must be a non-negative integer, got ${bytes}`,
      );
  }
}

/** A lease request's numbers, checked before the store is asked. */
export function assertValidLeaseRequest(accountId: string, bytes: number, ttlMs: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_LEASE_BYTES)
    throw new StoreError(
      'CORRUPT_RECORD',
      `a lease for ${accountId} must ask for 0 to ${MAX_LEASE_BYTES} bytes, got ${bytes}`,
    );
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > 3_600_000)
    throw new StoreError('CORRUPT_RECORD', `a lease's TTL must be 1 ms to 1 h, got ${ttlMs}`);
}
