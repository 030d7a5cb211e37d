import { clientSessionSchema, type ClientSession } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { ActiveSessionFilter, SessionPatch, SessionRepository } from '../store';
import { StoreError } from '../store-error';
import type { SqliteContext } from './sqlite-context';

export class SqliteSessions implements SessionRepository {
  private readonly byId;
  private readonly insert;
  private readonly replace;
  private readonly activeByIp;
  private readonly active;
  private readonly pruneBefore;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.byId = db.prepare<[string], { doc: string }>('SELECT doc FROM sessions WHERE id = ?');
    this.insert = db.prepare(
      `INSERT INTO sessions (id, seq, state, vpn_ip, account_id, device_id, connected_at, closed_at, doc)
       VALUES (@id, @seq, @state, @vpnIp, @accountId, @deviceId, @connectedAt, @closedAt, @doc)`,
    );
    this.replace = db.prepare(
      'UPDATE sessions SET state = @state, closed_at = @closedAt, doc = @doc WHERE id = @id',
    );
    this.activeByIp = db.prepare<[string], { doc: string }>(
      `SELECT doc FROM sessions WHERE state = 'active' AND vpn_ip = ?
       ORDER BY connected_at DESC, seq DESC LIMIT 1`,
    );
    this.active = db.prepare<
      [{ accountId: string | null; deviceId: string | null }],
      { doc: string }
    >(
      `SELECT doc FROM sessions WHERE state = 'active'
         AND (@accountId IS NULL OR account_id = @accountId) AND (@deviceId IS NULL OR device_id = @deviceId)
       ORDER BY connected_at, id`,
    );
    this.pruneBefore = db.prepare(`DELETE FROM sessions WHERE state = 'closed' AND closed_at < ?`);
  }

  private read(id: string): ClientSession | undefined {
    const row = this.byId.get(id);
    return row ? decodeRecord(clientSessionSchema, 'session', row.doc) : undefined;
  }

  async create(session: ClientSession): Promise<ClientSession> {
    const doc = encodeRecord(clientSessionSchema, 'session', session);
    return this.ctx.mutate((record) => {
      if (this.byId.get(session.id))
        throw new StoreError('CONFLICT', `session ${session.id} exists`);
      const seq = record({ kind: 'session', op: 'created', id: session.id, value: session });
      this.insert.run({ ...session, seq, doc });
      return session;
    });
  }

  async get(id: string): Promise<ClientSession | undefined> {
    return this.read(id);
  }

  async update(id: string, patch: SessionPatch): Promise<ClientSession> {
    return this.ctx.mutate((record) => {
      const current = this.read(id);
      if (!current) throw new StoreError('NOT_FOUND', `no session ${id}`);
      const next: ClientSession = { ...current, ...patch };
      this.replace.run({
        id,
        state: next.state,
        closedAt: next.closedAt,
        doc: encodeRecord(clientSessionSchema, 'session', next),
      });
      record({ kind: 'session', op: 'updated', id, value: next });
      return next;
    });
  }

  async findActiveByVpnIp(vpnIp: string): Promise<ClientSession | undefined> {
    const row = this.activeByIp.get(vpnIp);
    return row ? decodeRecord(clientSessionSchema, 'session', row.doc) : undefined;
  }

  async listActive(filter: ActiveSessionFilter = {}): Promise<ClientSession[]> {
    return this.active
      .all({ accountId: filter.accountId ?? null, deviceId: filter.deviceId ?? null })
      .map((row) => decodeRecord(clientSessionSchema, 'session', row.doc));
  }

  async pruneClosed(before: Date): Promise<number> {
    // Pruning forgets history, it changes nothing a watcher acts on: no change is recorded.
    return this.pruneBefore.run(before.toISOString()).changes;
  }
}
