import { MAX_BYTE_COUNT } from '@tunnelgate/sessions';
import {
  USAGE_REPORT_MEMORY_MS,
  type AppliedUsageReport,
  type UsageReport,
  type UsageRepository,
} from '../store';
import { assertValidUsageReport } from '../usage-report-check';
import type { SqliteContext } from './sqlite-context';

/** Usage reports applied in one transaction with the row that remembers their id. */
export class SqliteUsage implements UsageRepository {
  private readonly remember;
  private readonly add;
  private readonly read;
  private readonly forget;
  private readonly spend;
  private applied = 0;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.remember = db.prepare<[string, string, number]>(
      'INSERT INTO usage_reports (id, reporter, applied_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    // Saturates at MAX_BYTE_COUNT, as the counter always has.
    this.add = db.prepare<[number, number, string], { used_bytes: number }>(
      'UPDATE accounts SET used_bytes = MIN(used_bytes + ?, ?) WHERE id = ? RETURNING used_bytes',
    );
    this.read = db.prepare<[string], { used_bytes: number }>(
      'SELECT used_bytes FROM accounts WHERE id = ?',
    );
    this.forget = db.prepare<[number]>('DELETE FROM usage_reports WHERE applied_at <= ?');
    // The reporter relayed these bytes under its lease: they come out of it as they are counted.
    this.spend = db.prepare<[number, string, string]>(
      'UPDATE byte_leases SET remaining = MAX(remaining - ?, 0) WHERE account_id = ? AND holder = ?',
    );
  }

  async apply(report: UsageReport): Promise<AppliedUsageReport> {
    assertValidUsageReport(report);
    const now = this.ctx.now().getTime();
    return this.ctx.db
      .transaction(() => {
        // Ids past their memory go now and then, inside a write that already holds the lock.
        if (++this.applied % 1000 === 0) this.forget.run(now - USAGE_REPORT_MEMORY_MS);
        const duplicate = this.remember.run(report.id, report.reporter, now).changes === 0;
        const totals = new Map<string, number>();
        const unknown = new Set<string>();
        for (const { accountId, bytes } of report.entries) {
          const row = duplicate
            ? this.read.get(accountId)
            : this.add.get(bytes, MAX_BYTE_COUNT, accountId);
          if (row && !duplicate) this.spend.run(bytes, accountId, report.reporter);
          if (row) totals.set(accountId, row.used_bytes);
          else unknown.add(accountId);
        }
        return {
          duplicate,
          totals: [...totals].map(([accountId, usedBytes]) => ({ accountId, usedBytes })),
          unknownAccounts: [...unknown],
        };
      })
      .immediate();
  }
}
