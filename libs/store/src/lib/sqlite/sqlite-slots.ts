import type { SlotHold, SlotRepository } from '../store';
import { assertValidSlotRequest } from '../usage-report-check';
import type { SqliteContext } from './sqlite-context';

/** Connection slots in one IMMEDIATE transaction each: the limit's arithmetic never interleaves. */
export class SqliteSlots implements SlotRepository {
  private readonly limit;
  private readonly others;
  private readonly all;
  private readonly upsert;
  private readonly lapse;
  private holds = 0;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.limit = db.prepare<[string], { max: number | null }>(
      "SELECT json_extract(doc, '$.maxConnections') AS max FROM accounts WHERE id = ?",
    );
    this.others = db.prepare<[string, string, number], { held: number }>(
      'SELECT COALESCE(SUM(held), 0) AS held FROM connection_slots WHERE account_id = ? AND holder <> ? AND expires_at > ?',
    );
    this.all = db.prepare<[string, number], { held: number }>(
      'SELECT COALESCE(SUM(held), 0) AS held FROM connection_slots WHERE account_id = ? AND expires_at > ?',
    );
    this.upsert = db.prepare<[string, string, number, number]>(
      `INSERT INTO connection_slots (account_id, holder, held, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id, holder) DO UPDATE SET held = excluded.held, expires_at = excluded.expires_at`,
    );
    this.lapse = db.prepare<[number]>('DELETE FROM connection_slots WHERE expires_at <= ?');
  }

  async hold(
    accountId: string,
    holder: string,
    wanted: number,
    reserved: number,
    ttlMs: number,
  ): Promise<SlotHold | undefined> {
    assertValidSlotRequest(accountId, wanted, reserved, ttlMs);
    const now = this.ctx.now().getTime();
    return this.ctx.db
      .transaction((): SlotHold | undefined => {
        if (++this.holds % 1000 === 0) this.lapse.run(now);
        const account = this.limit.get(accountId);
        if (!account) return undefined;
        const limit = account.max;
        const others = this.others.get(accountId, holder, now)?.held ?? 0;
        const held =
          limit === null ? wanted : Math.max(0, Math.min(wanted, limit - reserved - others));
        this.upsert.run(accountId, holder, held, now + ttlMs);
        return { held, limit };
      })
      .immediate();
  }

  async held(accountId: string): Promise<number> {
    return this.all.get(accountId, this.ctx.now().getTime())?.held ?? 0;
  }
}
