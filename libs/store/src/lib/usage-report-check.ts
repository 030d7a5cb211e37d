import { StoreError } from './store-error';
import type { UsageReport } from './store';

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
