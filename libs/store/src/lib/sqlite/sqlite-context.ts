import type { Database } from 'better-sqlite3';
import type { Change } from '@tunnelgate/sessions';
import { ChangeNotifier } from '../change-notifier';

type ChangeInput = Omit<Change, 'revision'>;

/** How many changes the feed keeps; a watcher further behind than this must re-list. */
export const CHANGE_RETENTION = 100_000;

/**
 * What the SQLite repositories share: the connection, the clock, and mutations that record their
 * change in the same transaction as the write, so the feed never shows a change that was rolled
 * back nor misses one that committed.
 */
export class SqliteContext {
  readonly notifier = new ChangeNotifier();
  private readonly insertChange;
  private readonly trimChanges;

  constructor(
    readonly db: Database,
    readonly now: () => Date,
  ) {
    this.insertChange = db.prepare('INSERT INTO changes (kind, op, id, value) VALUES (?, ?, ?, ?)');
    this.trimChanges = db.prepare('DELETE FROM changes WHERE revision <= ?');
  }

  /** Runs `write` in an IMMEDIATE transaction (writers queue instead of failing to upgrade). */
  mutate<T>(write: (record: (change: ChangeInput) => number) => T): T {
    let newest = 0;
    const result = this.db
      .transaction(() =>
        write((change) => {
          const info = this.insertChange.run(
            change.kind,
            change.op,
            change.id,
            JSON.stringify(change.value),
          );
          newest = Number(info.lastInsertRowid);
          if (newest % 1000 === 0) this.trimChanges.run(newest - CHANGE_RETENTION);
          return newest;
        }),
      )
      .immediate();
    if (newest > 0) this.notifier.notify(newest);
    return result;
  }

  timestamp(): string {
    return this.now().toISOString();
  }
}
