import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../store';
import { migrate } from './migrations';
import { SqliteAccounts } from './sqlite-accounts';
import { SqliteChanges } from './sqlite-changes';
import { SqliteContext } from './sqlite-context';
import { SqliteDevices } from './sqlite-devices';
import { SqliteLoginAttempts } from './sqlite-login-attempts';
import { SqliteSessions } from './sqlite-sessions';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` for tests. */
  path: string;
  now?: () => Date;
}

/** The embedded store: one file, WAL so readers never wait for the writer. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly accounts: SqliteAccounts;
  readonly devices: SqliteDevices;
  readonly sessions: SqliteSessions;
  readonly changes: SqliteChanges;
  readonly loginAttempts: SqliteLoginAttempts;
  private readonly db: Database.Database;

  constructor({ path, now = () => new Date() }: SqliteStoreOptions) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      // Several writers on one file (tests, a second tool) wait for each other instead of failing.
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db, path);
    } catch (error) {
      this.db.close();
      throw error;
    }
    const ctx = new SqliteContext(this.db, now);
    this.accounts = new SqliteAccounts(ctx);
    this.devices = new SqliteDevices(ctx);
    this.sessions = new SqliteSessions(ctx);
    this.changes = new SqliteChanges(ctx);
    this.loginAttempts = new SqliteLoginAttempts(ctx);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
