import type { Redis } from 'ioredis';
import { MAX_BYTE_COUNT } from '@tunnelgate/sessions';
import {
  USAGE_REPORT_MEMORY_MS,
  type AppliedUsageReport,
  type UsageReport,
  type UsageRepository,
} from '../store';
import { assertValidUsageReport } from '../usage-report-check';
import { APPLY_USAGE_SCRIPT } from './mutate.lua';
import type { RedisKeys } from './redis-keys';
import { defineScript } from './redis-mutator';

/** Usage reports applied by one script: the id's key and the counters change together or not. */
export class RedisUsage implements UsageRepository {
  private readonly applyScript;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.applyScript = defineScript(redis, 'tunnelgateApplyUsage', 0, APPLY_USAGE_SCRIPT);
  }

  async apply(report: UsageReport): Promise<AppliedUsageReport> {
    assertValidUsageReport(report);
    const [duplicate, ...after] = (await this.applyScript(
      USAGE_REPORT_MEMORY_MS,
      MAX_BYTE_COUNT,
      report.reporter,
      this.keys.usageReport(report.id),
      ...report.entries.flatMap(({ accountId, bytes }) => [
        this.keys.account(accountId),
        this.keys.accountUsed(accountId),
        bytes,
        this.keys.accountLeases(accountId),
      ]),
    )) as unknown as number[];
    const totals = new Map<string, number>();
    const unknown = new Set<string>();
    report.entries.forEach(({ accountId }, index) => {
      const total = after[index] ?? -1;
      if (total < 0) unknown.add(accountId);
      else totals.set(accountId, total);
    });
    return {
      duplicate: duplicate === 1,
      totals: [...totals].map(([accountId, usedBytes]) => ({ accountId, usedBytes })),
      unknownAccounts: [...unknown],
    };
  }
}
