import { accountSchema, type Account, type Page } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { AccountPatch, AccountRepository, PageRequest } from '../store';
import { StoreError } from '../store-error';
import type { SqliteContext } from './sqlite-context';

interface AccountRow {
  doc: string;
  used_bytes: number;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') ?? false;
}

export class SqliteAccounts implements AccountRepository {
  private readonly byId;
  private readonly byUsername;
  private readonly insert;
  private readonly replace;
  private readonly remove;
  private readonly page;
  private readonly setUsed;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.byId = db.prepare<[string], AccountRow>(
      'SELECT doc, used_bytes FROM accounts WHERE id = ?',
    );
    this.byUsername = db.prepare<[string], AccountRow>(
      'SELECT doc, used_bytes FROM accounts WHERE username = ?',
    );
    this.insert = db.prepare(
      'INSERT INTO accounts (id, username, used_bytes, doc) VALUES (?, ?, ?, ?)',
    );
    this.replace = db.prepare('UPDATE accounts SET username = ?, doc = ? WHERE id = ?');
    this.remove = db.prepare('DELETE FROM accounts WHERE id = ?');
    this.page = db.prepare<[string, number], AccountRow>(
      'SELECT doc, used_bytes FROM accounts WHERE id > ? ORDER BY id LIMIT ?',
    );
    this.setUsed = db.prepare('UPDATE accounts SET used_bytes = ? WHERE id = ?');
  }

  private decode(row: AccountRow | undefined): Account | undefined {
    if (!row) return undefined;
    // The counter column is the truth; the document's copy is whatever it was at the last edit.
    return { ...decodeRecord(accountSchema, 'account', row.doc), usedBytes: row.used_bytes };
  }

  async create(account: Account): Promise<Account> {
    const doc = encodeRecord(accountSchema, 'account', account);
    try {
      this.ctx.mutate((record) => {
        this.insert.run(account.id, account.username, account.usedBytes, doc);
        record({ kind: 'account', op: 'created', id: account.id, value: account });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StoreError(
          'CONFLICT',
          `account id ${account.id} or username ${account.username} is taken`,
        );
      }
      throw error;
    }
    return account;
  }

  async get(id: string): Promise<Account | undefined> {
    return this.decode(this.byId.get(id));
  }

  async getByUsername(username: string): Promise<Account | undefined> {
    return this.decode(this.byUsername.get(username));
  }

  async update(id: string, patch: AccountPatch): Promise<Account> {
    try {
      return this.ctx.mutate((record) => {
        const current = this.decode(this.byId.get(id));
        if (!current) throw new StoreError('NOT_FOUND', `no account ${id}`);
        const next: Account = { ...current, ...patch, updatedAt: this.ctx.timestamp() };
        this.replace.run(next.username, encodeRecord(accountSchema, 'account', next), id);
        record({ kind: 'account', op: 'updated', id, value: next });
        return next;
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new StoreError('CONFLICT', `username ${patch.username} is taken`);
      throw error;
    }
  }

  async delete(id: string): Promise<Account | undefined> {
    return this.ctx.mutate((record) => {
      const current = this.decode(this.byId.get(id));
      if (!current) return undefined;
      this.remove.run(id);
      record({ kind: 'account', op: 'deleted', id, value: current });
      return current;
    });
  }

  async list({ limit, cursor }: PageRequest): Promise<Page<Account>> {
    const rows = this.page.all(cursor ?? '', limit + 1);
    const items = rows.slice(0, limit).map((row) => this.decode(row) as Account);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: last.id } : { items };
  }

  async resetUsedBytes(id: string): Promise<Account> {
    return this.ctx.mutate((record) => {
      const current = this.decode(this.byId.get(id));
      if (!current) throw new StoreError('NOT_FOUND', `no account ${id}`);
      const next: Account = { ...current, usedBytes: 0, updatedAt: this.ctx.timestamp() };
      this.setUsed.run(0, id);
      this.replace.run(next.username, encodeRecord(accountSchema, 'account', next), id);
      record({ kind: 'account', op: 'updated', id, value: next });
      return next;
    });
  }
}
