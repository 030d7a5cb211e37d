import { MAX_BYTE_COUNT } from '@tunnelgate/sessions';
import type { ByteLease, LeaseRepository } from '../store';
import { assertValidLeaseRequest } from '../usage-report-check';
import type { SqliteContext } from './sqlite-context';

/** Byte leases in one IMMEDIATE transaction each: the quota's arithmetic never interleaves. */
export class SqliteLeases implements LeaseRepository {
  private readonly account;
  private readonly own;
  private readonly others;
  private readonly upsert;
  private readonly drop;
  private readonly lapse;
  private acquired = 0;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.account = db.prepare<[string], { used_bytes: number; quota: number | null }>(
      "SELECT used_bytes, json_extract(doc, '$.quotaBytes') AS quota FROM accounts WHERE id = ?",
    );
    this.own = db.prepare<[string, string, number], { remaining: number }>(
      'SELECT remaining FROM byte_leases WHERE account_id = ? AND holder = ? AND expires_at > ?',
    );
    this.others = db.prepare<[string, string, number], { held: number }>(
      'SELECT COALESCE(SUM(remaining), 0) AS held FROM byte_leases WHERE account_id = ? AND holder <> ? AND expires_at > ?',
    );
    this.upsert = db.prepare<[string, string, number, number]>(
      `INSERT INTO byte_leases (account_id, holder, remaining, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id, holder) DO UPDATE SET remaining = excluded.remaining, expires_at = excluded.expires_at`,
    );
    this.drop = db.prepare<[string, string]>(
      'DELETE FROM byte_leases WHERE account_id = ? AND holder = ?',
    );
    this.lapse = db.prepare<[number]>('DELETE FROM byte_leases WHERE expires_at <= ?');
  }

  async acquire(
    accountId: string,
    holder: string,
    bytes: number,
    ttlMs: number,
  ): Promise<ByteLease | undefined> {
    assertValidLeaseRequest(accountId, bytes, ttlMs);
    const now = this.ctx.now().getTime();
    return this.ctx.db
      .transaction((): ByteLease | undefined => {
        // Lapsed leases (and those of deleted accounts) go now and then, under the same lock.
        if (++this.acquired % 1000 === 0) this.lapse.run(now);
        const account = this.account.get(accountId);
        if (!account) return undefined;
        const own = this.own.get(accountId, holder, now)?.remaining ?? 0;
        const unlimited = account.quota === null;
        let granted = bytes;
        if (!unlimited) {
          const held = this.others.get(accountId, holder, now)?.held ?? 0;
          const left = (account.quota ?? 0) - account.used_bytes - held - own;
          granted = Math.max(0, Math.min(bytes, left));
        }
        const remaining = Math.min(own + granted, MAX_BYTE_COUNT);
        const expiresAt = now + ttlMs;
        this.upsert.run(accountId, holder, remaining, expiresAt);
        const quotaLeft = unlimited ? null : Math.max(0, (account.quota ?? 0) - account.used_bytes);
        return { remaining, granted, expiresAt, unlimited, quotaLeft };
      })
      .immediate();
  }

  async release(accountId: string, holder: string): Promise<void> {
    this.drop.run(accountId, holder);
  }
}
