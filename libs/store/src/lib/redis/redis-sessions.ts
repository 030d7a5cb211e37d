import type { Redis } from 'ioredis';
import { clientSessionSchema, type ClientSession } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { ActiveSessionFilter, SessionPatch, SessionRepository } from '../store';
import { StoreError } from '../store-error';
import type { RedisKeys } from './redis-keys';
import type { IndexOp, RedisMutator } from './redis-mutator';

function byConnectedAtThenId(a: ClientSession, b: ClientSession): number {
  return a.connectedAt < b.connectedAt
    ? -1
    : a.connectedAt > b.connectedAt
      ? 1
      : a.id < b.id
        ? -1
        : a.id > b.id
          ? 1
          : 0;
}

export class RedisSessions implements SessionRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly mutator: RedisMutator,
  ) {}

  private decode(doc: string | null | undefined): ClientSession | undefined {
    return doc ? decodeRecord(clientSessionSchema, 'session', doc) : undefined;
  }

  /** Index entries of a session in a given state; a state change swaps one set for the other. */
  private indexOps(session: ClientSession, adding: boolean): IndexOp[] {
    if (session.state === 'active') {
      return adding
        ? [
            { op: 'sadd', key: this.keys.activeSessions(), member: session.id },
            {
              op: 'zadd',
              key: this.keys.activeSessionsByIp(session.vpnIp),
              member: session.id,
              score: '$revision',
            },
          ]
        : [
            { op: 'srem', key: this.keys.activeSessions(), member: session.id },
            { op: 'zrem', key: this.keys.activeSessionsByIp(session.vpnIp), member: session.id },
          ];
    }
    const closedAt = Date.parse(session.closedAt ?? '') || 0;
    return adding
      ? [{ op: 'zadd', key: this.keys.closedSessions(), member: session.id, score: closedAt }]
      : [{ op: 'zrem', key: this.keys.closedSessions(), member: session.id }];
  }

  async create(session: ClientSession): Promise<ClientSession> {
    const { outcome } = await this.mutator.apply({
      key: this.keys.session(session.id),
      expected: undefined,
      next: encodeRecord(clientSessionSchema, 'session', session),
      change: { kind: 'session', op: 'created', id: session.id, value: session },
      ops: this.indexOps(session, true),
    });
    if (outcome !== 'ok') throw new StoreError('CONFLICT', `session ${session.id} exists`);
    return session;
  }

  async get(id: string): Promise<ClientSession | undefined> {
    return this.decode(await this.redis.get(this.keys.session(id)));
  }

  async update(id: string, patch: SessionPatch): Promise<ClientSession> {
    return this.mutator.update(this.keys.session(id), (doc) => {
      const current = this.decode(doc);
      if (!current || doc === null) throw new StoreError('NOT_FOUND', `no session ${id}`);
      const next: ClientSession = { ...current, ...patch };
      const reindex = next.state !== current.state || next.closedAt !== current.closedAt;
      return {
        result: next,
        mutation: {
          key: this.keys.session(id),
          expected: doc,
          next: encodeRecord(clientSessionSchema, 'session', next),
          change: { kind: 'session', op: 'updated', id, value: next },
          ops: reindex ? [...this.indexOps(current, false), ...this.indexOps(next, true)] : [],
        },
      };
    });
  }

  async findActiveByVpnIp(vpnIp: string): Promise<ClientSession | undefined> {
    // Usually one id; after a missed disconnect, a few. Newest connectedAt wins, then newest created.
    const entries = await this.redis.zrange(
      this.keys.activeSessionsByIp(vpnIp),
      '0',
      '-1',
      'WITHSCORES',
    );
    let best: { session: ClientSession; created: number } | undefined;
    for (let i = 0; i < entries.length; i += 2) {
      const session = await this.get(entries[i] ?? '');
      const created = Number(entries[i + 1]);
      if (!session || session.state !== 'active') continue;
      if (
        !best ||
        session.connectedAt > best.session.connectedAt ||
        (session.connectedAt === best.session.connectedAt && created > best.created)
      ) {
        best = { session, created };
      }
    }
    return best?.session;
  }

  async listActive(filter: ActiveSessionFilter = {}): Promise<ClientSession[]> {
    const ids = await this.redis.smembers(this.keys.activeSessions());
    if (ids.length === 0) return [];
    const docs = await this.redis.mget(ids.map((id) => this.keys.session(id)));
    return docs
      .flatMap((doc) => this.decode(doc) ?? [])
      .filter(
        (s) =>
          s.state === 'active' &&
          (filter.accountId === undefined || s.accountId === filter.accountId) &&
          (filter.deviceId === undefined || s.deviceId === filter.deviceId),
      )
      .sort(byConnectedAtThenId);
  }

  async pruneClosed(before: Date): Promise<number> {
    const ids = await this.redis.zrangebyscore(
      this.keys.closedSessions(),
      '-inf',
      `(${before.getTime()}`,
    );
    if (ids.length === 0) return 0;
    // Pruning forgets history, it changes nothing a watcher acts on: no change is recorded.
    await this.redis
      .multi()
      .del(...ids.map((id) => this.keys.session(id)))
      .zrem(this.keys.closedSessions(), ...ids)
      .exec();
    return ids.length;
  }
}
