import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../store';
import { StoreError } from '../store-error';
import { ProcessLock } from './process-lock';
import { migrate } from './migrations';
import { SqliteAccounts } from './sqlite-accounts';
import { SqliteChanges } from './sqlite-changes';
import { SqliteContext } from './sqlite-context';
import { SqliteDevices } from './sqlite-devices';
import { SqliteLoginAttempts } from './sqlite-login-attempts';
import { SqliteSessions } from './sqlite-sessions';
import { SqliteLeases } from './sqlite-leases';
import { SqliteSlots } from './sqlite-slots';
import { SqliteUsage } from './sqlite-usage';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` for tests. */
  path: string;
  now?: () => Date;
  /**
   * This process is the file's only writer (tunnel-api): a second process that asks the same is
   * refused, and the file is checked for corruption first.
   */
  exclusive?: boolean;
}

/** The embedded store: one file, WAL so readers never wait for the writer. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly accounts: SqliteAccounts;
  readonly devices: SqliteDevices;
  readonly sessions: SqliteSessions;
  readonly changes: SqliteChanges;
  readonly loginAttempts: SqliteLoginAttempts;
  readonly usage: SqliteUsage;
  readonly leases: SqliteLeases;
  readonly slots: SqliteSlots;
  private readonly db: Database.Database;
  private readonly lock: ProcessLock | undefined;

  constructor({ path, now = () => new Date(), exclusive = false }: SqliteStoreOptions) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.lock =
      exclusive && path !== ':memory:' ? ProcessLock.take(`${path}.lock`, path) : undefined;
    try {
      this.db = new Database(path);
    } catch (error) {
      this.lock?.release();
      throw error;
    }
    try {
      if (exclusive) this.verify(path);
      this.db.pragma('journal_mode = WAL');
      // Several writers on one file (tests, a second tool) wait for each other instead of failing.
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db, path);
    } catch (error) {
      this.db.close();
      this.lock?.release();
      throw error;
    }
    const ctx = new SqliteContext(this.db, now);
    this.accounts = new SqliteAccounts(ctx);
    this.devices = new SqliteDevices(ctx);
    this.sessions = new SqliteSessions(ctx);
    this.changes = new SqliteChanges(ctx);
    this.loginAttempts = new SqliteLoginAttempts(ctx);
    this.usage = new SqliteUsage(ctx);
    this.leases = new SqliteLeases(ctx);
    this.slots = new SqliteSlots(ctx);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    this.lock?.release();
  }

  /**
   * SQLite's quick_check (every page and index, without cross-checking them: seconds even for
   * a large file): a corrupt file must stop the start, not answer 500 later.
   */
  private verify(path: string): void {
    let problems: string[];
    try {
      problems = (this.db.pragma('quick_check(20)') as { quick_check: string }[])
        .map((row) => row.quick_check)
        .filter((result) => result !== 'ok');
    } catch (error) {
      problems = [(error as Error).message];
    }
    if (problems.length > 0)
      throw new StoreError(
        'CORRUPT_RECORD',
        `${path} failed SQLite's integrity check (${problems.slice(0, 3).join('; ')}): restore it ` +
          'from a backup (docs/operations.md), or move it away to start with an empty store',
      );
  }
}
