import type { AttemptLimit, LoginAttemptRepository } from '../store';
import type { SqliteContext } from './sqlite-context';

/** Failed-login counters in the database file, so that every process on it counts alike. */
export class SqliteLoginAttempts implements LoginAttemptRepository {
  private readonly read;
  private readonly upsert;
  private readonly decrement;
  private readonly expire;
  private charges = 0;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.read = db.prepare<[string, number], { count: number }>(
      'SELECT count FROM login_attempts WHERE key = ? AND expires_at > ?',
    );
    this.upsert = db.prepare<[{ key: string; now: number; windowMs: number }]>(
      `INSERT INTO login_attempts (key, count, expires_at) VALUES (@key, 1, @now + @windowMs)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN expires_at > @now THEN count + 1 ELSE 1 END,
         expires_at = CASE WHEN expires_at > @now THEN expires_at ELSE @now + @windowMs END`,
    );
    this.decrement = db.prepare<[string, number]>(
      'UPDATE login_attempts SET count = count - 1 WHERE key = ? AND expires_at > ? AND count > 0',
    );
    this.expire = db.prepare<[number]>('DELETE FROM login_attempts WHERE expires_at <= ?');
  }

  async charge(limits: readonly AttemptLimit[], windowMs: number): Promise<string[]> {
    const now = this.ctx.now().getTime();
    return this.ctx.db
      .transaction(() => {
        // Expired rows go now and then, inside a write that already holds the lock.
        if (++this.charges % 1000 === 0) this.expire.run(now);
        const full = limits
          .filter(({ key, limit }) => (this.read.get(key, now)?.count ?? 0) >= limit)
          .map(({ key }) => key);
        if (full.length === 0)
          for (const { key } of limits) this.upsert.run({ key, now, windowMs });
        return full;
      })
      .immediate();
  }

  async refund(keys: readonly string[]): Promise<void> {
    const now = this.ctx.now().getTime();
    this.ctx.db.transaction(() => keys.forEach((key) => this.decrement.run(key, now))).immediate();
  }
}
