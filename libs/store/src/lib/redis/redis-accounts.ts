import type { Redis } from 'ioredis';
import { accountSchema, type Account, type Page } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { AccountPatch, AccountRepository, PageRequest } from '../store';
import { StoreError } from '../store-error';
import type { RedisKeys } from './redis-keys';
import type { RedisMutator } from './redis-mutator';

export class RedisAccounts implements AccountRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly mutator: RedisMutator,
    private readonly now: () => Date,
  ) {}

  private decode(doc: string | null, used: string | null): Account | undefined {
    if (doc === null) return undefined;
    // The counter key is the truth; the document's copy is whatever it was at the last edit.
    return { ...decodeRecord(accountSchema, 'account', doc), usedBytes: Number(used ?? 0) };
  }

  private async read(id: string): Promise<Account | undefined> {
    const [doc, used] = await this.redis.mget(this.keys.account(id), this.keys.accountUsed(id));
    return this.decode(doc ?? null, used ?? null);
  }

  async create(account: Account): Promise<Account> {
    const { outcome } = await this.mutator.apply({
      key: this.keys.account(account.id),
      expected: undefined,
      next: encodeRecord(accountSchema, 'account', account),
      change: { kind: 'account', op: 'created', id: account.id, value: account },
      ops: [
        {
          op: 'unique',
          key: this.keys.accountUsernames(),
          member: account.username,
          value: account.id,
        },
        { op: 'zadd', key: this.keys.accountIds(), member: account.id, score: 0 },
        { op: 'set', key: this.keys.accountUsed(account.id), value: String(account.usedBytes) },
      ],
    });
    if (outcome !== 'ok') {
      throw new StoreError(
        'CONFLICT',
        `account id ${account.id} or username ${account.username} is taken`,
      );
    }
    return account;
  }

  async get(id: string): Promise<Account | undefined> {
    return this.read(id);
  }

  async getByUsername(username: string): Promise<Account | undefined> {
    const id = await this.redis.hget(this.keys.accountUsernames(), username);
    return id === null ? undefined : this.read(id);
  }

  async update(id: string, patch: AccountPatch): Promise<Account> {
    const used = await this.redis.get(this.keys.accountUsed(id));
    return this.mutator.update(this.keys.account(id), (doc) => {
      const current = this.decode(doc, used);
      if (!current || doc === null) throw new StoreError('NOT_FOUND', `no account ${id}`);
      const next: Account = { ...current, ...patch, updatedAt: this.now().toISOString() };
      const renamed = next.username !== current.username;
      return {
        result: next,
        mutation: {
          key: this.keys.account(id),
          expected: doc,
          next: encodeRecord(accountSchema, 'account', next),
          change: { kind: 'account', op: 'updated', id, value: next },
          ops: renamed
            ? [
                {
                  op: 'unique',
                  key: this.keys.accountUsernames(),
                  member: next.username,
                  value: id,
                },
                { op: 'hdel', key: this.keys.accountUsernames(), member: current.username },
              ]
            : [],
        },
      };
    });
  }

  async delete(id: string): Promise<Account | undefined> {
    const used = await this.redis.get(this.keys.accountUsed(id));
    return this.mutator.update(this.keys.account(id), (doc) => {
      const current = this.decode(doc, used);
      if (!current || doc === null) return { result: undefined };
      return {
        result: current,
        mutation: {
          key: this.keys.account(id),
          expected: doc,
          next: undefined,
          change: { kind: 'account', op: 'deleted', id, value: current },
          ops: [
            { op: 'hdel', key: this.keys.accountUsernames(), member: current.username },
            { op: 'zrem', key: this.keys.accountIds(), member: id },
            { op: 'del', key: this.keys.accountUsed(id) },
          ],
        },
      };
    });
  }

  async list({ limit, cursor }: PageRequest): Promise<Page<Account>> {
    const ids = await this.redis.zrangebylex(
      this.keys.accountIds(),
      cursor === undefined ? '-' : `(${cursor}`,
      '+',
      'LIMIT',
      0,
      limit + 1,
    );
    const pageIds = ids.slice(0, limit);
    if (pageIds.length === 0) return { items: [] };
    const values = await this.redis.mget(
      pageIds.flatMap((id) => [this.keys.account(id), this.keys.accountUsed(id)]),
    );
    const items: Account[] = [];
    for (let i = 0; i < pageIds.length; i++) {
      const account = this.decode(values[2 * i] ?? null, values[2 * i + 1] ?? null);
      if (account) items.push(account);
    }
    const last = pageIds[pageIds.length - 1];
    return ids.length > limit && last ? { items, nextCursor: last } : { items };
  }

  async resetUsedBytes(id: string): Promise<Account> {
    return this.mutator.update(this.keys.account(id), (doc) => {
      const current = this.decode(doc, '0');
      if (!current || doc === null) throw new StoreError('NOT_FOUND', `no account ${id}`);
      const next: Account = { ...current, usedBytes: 0, updatedAt: this.now().toISOString() };
      return {
        result: next,
        mutation: {
          key: this.keys.account(id),
          expected: doc,
          next: encodeRecord(accountSchema, 'account', next),
          change: { kind: 'account', op: 'updated', id, value: next },
          ops: [{ op: 'set', key: this.keys.accountUsed(id), value: '0' }],
        },
      };
    });
  }
}
