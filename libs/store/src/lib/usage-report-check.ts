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

/** A slot request's numbers, checked before the store is asked. */
export function assertValidSlotRequest(
  accountId: string,
  wanted: number,
  reserved: number,
  ttlMs: number,
): void {
  for (const [name, value] of [
    ['wanted', wanted],
    ['reserved', reserved],
  ] as const)
    if (!Number.isSafeInteger(value) || value < 0 || value > 1_000_000)
      throw new StoreError(
        'CORRUPT_RECORD',
        `${name} slots for ${accountId} must be 0 to 1,000,000, got ${value}`,
      );
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > 3_600_000)
    throw new StoreError('CORRUPT_RECORD', `a slot's TTL must be 1 ms to 1 h, got ${ttlMs}`);
}
