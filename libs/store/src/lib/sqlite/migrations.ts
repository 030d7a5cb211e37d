import type { Database } from 'better-sqlite3';
import { StoreError } from '../store-error';

/**
 * Versioned schema, tracked in PRAGMA user_version. Migrations only ever get appended; each runs
 * in its own transaction. Records are JSON documents with the columns queries need beside them.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    used_bytes INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
  );
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
  );
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    vpn_ip TEXT NOT NULL,
    account_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    connected_at TEXT NOT NULL,
    closed_at TEXT,
    doc TEXT NOT NULL
  );
  CREATE INDEX sessions_active_by_ip ON sessions (vpn_ip, connected_at, seq) WHERE state = 'active';
  CREATE INDEX sessions_closed_at ON sessions (closed_at) WHERE state = 'closed';
  CREATE TABLE changes (
    revision INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    op TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  `
  CREATE TABLE usage_reports (
    id TEXT PRIMARY KEY,
    reporter TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  );
  CREATE INDEX usage_reports_applied_at ON usage_reports (applied_at);
  `,
  `
  ALTER TABLE devices ADD COLUMN seen_at TEXT;
  `,
  `
  CREATE TABLE byte_leases (
    account_id TEXT NOT NULL,
    holder TEXT NOT NULL,
    remaining INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, holder)
  );
  `,
  `
  CREATE TABLE connection_slots (
    account_id TEXT NOT NULL,
    holder TEXT NOT NULL,
    held INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, holder)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      `${path} has schema version ${current}, newer than the ${SCHEMA_VERSION} this tunnelgate ` +
        'understands: it was written by a newer release. Upgrade tunnelgate, or restore a backup.',
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
