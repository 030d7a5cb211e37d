import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import {
  WATCH_RECORD_SCHEMAS,
  watchEnvelopeSchema,
  type ClientSession,
  type Device,
  type PublicAccount,
  type WatchEnvelope,
  type WatchKind,
} from '@tunnelgate/sessions';
import { ApiRefusal, type TunnelApiClient } from '@tunnelgate/api-client';

export type { PublicAccount };

export interface DirectoryEvents {
  /** An account changed or went away (`after` undefined): live connections are re-checked. */
  account: [before: PublicAccount | undefined, after: PublicAccount | undefined];
  /** A session ended (closed, kicked, replaced, deleted). */
  sessionEnded: [session: ClientSession];
  /** A device changed or went away. */
  device: [after: Device | undefined, id: string];
  /** A record that did not decode was skipped (its id, if it had one, is treated as gone). */
  recordSkipped: [kind: WatchKind];
}

type WatchRecord<K extends WatchKind> = {
  session: ClientSession;
  account: PublicAccount;
  device: Device;
}[K];

/** How long without a line (heartbeats come every 15 s) before the watch is deemed dead. */
const SILENCE_MS = 45_000;
/**
 * Reconnects are retried at least this often: a changed account (disabled on another relay
 * during an outage) reaches live connections within about this long of tunnel-api's return,
 * and a refused connection to a down tunnel-api costs next to nothing.
 */
const MAX_BACKOFF_MS = 500;

/**
 * The gateway's copy of tunnel-api's accounts, devices and active sessions, kept current by the
 * watch stream (snapshot, then changes; resumed by revision after a drop, re-listed after 410).
 * Every lookup on a connection's path is a Map read.
 */
export class RelayDirectory extends EventEmitter<DirectoryEvents> {
  private readonly accountsById = new Map<string, PublicAccount>();
  private readonly accountsByName = new Map<string, PublicAccount>();
  private readonly devicesById = new Map<string, Device>();
  private readonly sessionsByVpnIp = new Map<string, ClientSession>();
  /** Active OpenVPN sessions per account: they count toward its connection limit. */
  private readonly sessionCounts = new Map<string, number>();
  private revision: number | undefined;
  /** The store's epoch that `revision` counts in (from the snapshot). */
  private epoch: string | undefined;
  private stream: Readable | undefined;
  private stopped = false;
  private synced = false;
  private lastError = 'not connected yet';
  private retry: NodeJS.Timeout | undefined;
  private onFirstSnapshot: () => void = () => undefined;

  constructor(
    private readonly api: TunnelApiClient,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    super();
  }

  /** Resolves after the first snapshot (or rejects when it cannot be had within `timeoutMs`). */
  start(timeoutMs: number): Promise<void> {
    const synced = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no snapshot from tunnel-api: ${this.lastError}`)),
        timeoutMs,
      );
      this.onFirstSnapshot = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    void this.connect(0);
    return synced;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.stream?.destroy();
  }

  /** Undefined while the stream is up; else why not (for /readyz). */
  get problem(): string | undefined {
    return this.synced && this.stream ? undefined : this.lastError;
  }

  account(id: string): PublicAccount | undefined {
    return this.accountsById.get(id);
  }

  accountByUsername(username: string): PublicAccount | undefined {
    return this.accountsByName.get(username);
  }

  accounts(): IterableIterator<PublicAccount> {
    return this.accountsById.values();
  }

  device(id: string): Device | undefined {
    return this.devicesById.get(id);
  }

  sessionByVpnIp(vpnIp: string): ClientSession | undefined {
    return this.sessionsByVpnIp.get(vpnIp);
  }

  /** The account's active OpenVPN sessions (on every relay sharing the store). */
  openvpnSessionsOf(accountId: string): number {
    return this.sessionCounts.get(accountId) ?? 0;
  }

  private setSession(session: ClientSession): void {
    this.deleteSession(session.vpnIp);
    this.sessionsByVpnIp.set(session.vpnIp, session);
    this.sessionCounts.set(session.accountId, this.openvpnSessionsOf(session.accountId) + 1);
  }

  private deleteSession(vpnIp: string): void {
    const session = this.sessionsByVpnIp.get(vpnIp);
    if (!session) return;
    this.sessionsByVpnIp.delete(vpnIp);
    const left = this.openvpnSessionsOf(session.accountId) - 1;
    if (left > 0) this.sessionCounts.set(session.accountId, left);
    else this.sessionCounts.delete(session.accountId);
  }

  /** A usage report's totals: they move without a change on the feed. */
  setUsedBytes(accountId: string, usedBytes: number): void {
    const before = this.accountsById.get(accountId);
    if (!before || before.usedBytes === usedBytes) return;
    const after = { ...before, usedBytes };
    this.putAccount(after);
    this.emit('account', before, after);
  }

  /** A session the watch has not delivered yet (looked up on a miss). */
  learnSession(session: ClientSession): void {
    if (session.state === 'active') this.setSession(session);
  }

  private async connect(attempt: number): Promise<void> {
    if (this.stopped) return;
    const query = this.resumeQuery();
    let stream: Readable;
    try {
      stream = await this.api.openWatch(query);
    } catch (error) {
      if (error instanceof ApiRefusal && error.status === 410) this.revision = undefined;
      return this.reconnect(attempt, (error as Error).message);
    }
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    let buffer = '';
    let silence = setTimeout(() => stream.destroy(new Error('watch went silent')), SILENCE_MS);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      clearTimeout(silence);
      silence = setTimeout(() => stream.destroy(new Error('watch went silent')), SILENCE_MS);
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        if (line) this.apply(line);
      }
    });
    stream.on('error', () => undefined);
    stream.on('close', () => {
      clearTimeout(silence);
      this.stream = undefined;
      this.reconnect(1, 'watch stream closed');
    });
  }

  /** Resume after the last revision of its epoch; nothing (a snapshot) when there is none. */
  private resumeQuery(): string {
    if (this.revision === undefined) return '';
    const epoch = this.epoch === undefined ? '' : `&epoch=${encodeURIComponent(this.epoch)}`;
    return `?after=${this.revision}${epoch}`;
  }

  private reconnect(attempt: number, reason: string): void {
    this.lastError = reason;
    if (this.stopped) return;
    const delay = attempt === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 6));
    if (attempt > 0)
      this.log({
        level: 'warn',
        message: 'tunnel-api watch lost; reconnecting',
        reason,
        delayMs: delay,
      });
    this.retry = setTimeout(() => void this.connect(attempt + 1), delay);
  }

  private apply(text: string): void {
    let line: WatchEnvelope;
    try {
      line = watchEnvelopeSchema.parse(JSON.parse(text));
    } catch (error) {
      this.log({
        level: 'error',
        message: 'bad watch line; re-listing',
        error: (error as Error).message,
      });
      this.revision = undefined;
      this.stream?.destroy();
      return;
    }
    switch (line.type) {
      case 'snapshot':
        return this.applySnapshot(line);
      case 'change':
        this.revision = line.revision;
        return this.applyChange(line);
      case 'heartbeat':
        this.revision = line.revision;
        return;
      case 'error':
        // The store trimmed the feed (or failed): start over from a snapshot.
        this.revision = undefined;
        this.lastError = line.message;
        return;
    }
  }

  /**
   * One record, decoded on its own: a record that does not decode (a corrupt or out-of-bounds
   * value in the store) is skipped loudly, and never stops the gateway from loading the rest.
   */
  private decode<K extends WatchKind>(kind: K, value: unknown): WatchRecord<K> | undefined {
    const result = WATCH_RECORD_SCHEMAS[kind].safeParse(value);
    if (result.success) return result.data as WatchRecord<K>;
    const id = (value as { id?: unknown } | null)?.id;
    this.log({
      level: 'error',
      message: 'skipped a watch record that does not decode',
      kind,
      id: typeof id === 'string' ? id.slice(0, 64) : undefined,
      error: result.error.message.slice(0, 500),
    });
    this.emit('recordSkipped', kind);
    return undefined;
  }

  private decodeAll<K extends WatchKind>(kind: K, values: unknown[] | undefined): WatchRecord<K>[] {
    const records: WatchRecord<K>[] = [];
    for (const value of values ?? []) {
      const record = this.decode(kind, value);
      if (record) records.push(record);
    }
    return records;
  }

  private applySnapshot(line: Extract<WatchEnvelope, { type: 'snapshot' }>): void {
    const previousAccounts = new Map(this.accountsById);
    const previousSessions = new Map(this.sessionsByVpnIp);
    this.accountsById.clear();
    this.accountsByName.clear();
    this.devicesById.clear();
    this.sessionsByVpnIp.clear();
    this.sessionCounts.clear();
    for (const account of this.decodeAll('account', line.accounts)) this.putAccount(account);
    for (const device of this.decodeAll('device', line.devices))
      this.devicesById.set(device.id, device);
    for (const session of this.decodeAll('session', line.sessions)) this.setSession(session);
    this.revision = line.revision;
    this.epoch = line.epoch;
    this.synced = true;
    this.onFirstSnapshot();
    this.onFirstSnapshot = () => undefined;
    this.lastError = 'connected';
    // What changed while the stream was down still reaches live connections.
    for (const [id, before] of previousAccounts) {
      const after = this.accountsById.get(id);
      if (JSON.stringify(before) !== JSON.stringify(after)) this.emit('account', before, after);
    }
    for (const session of previousSessions.values())
      if (this.sessionsByVpnIp.get(session.vpnIp)?.id !== session.id)
        this.emit('sessionEnded', session);
  }

  /** A change whose record does not decode counts as a deletion: what the gateway cannot
   * read, it does not serve. */
  private applyChange(line: Extract<WatchEnvelope, { type: 'change' }>): void {
    const id = (line.value as { id?: unknown } | null)?.id;
    switch (line.kind) {
      case 'account': {
        const account = this.decode('account', line.value);
        const accountId = account?.id ?? (typeof id === 'string' ? id : undefined);
        if (accountId === undefined) return;
        const before = this.accountsById.get(accountId);
        if (line.op === 'deleted' || !account) this.removeAccount(accountId);
        else this.putAccount(account);
        this.emit('account', before, this.accountsById.get(accountId));
        return;
      }
      case 'device': {
        const device = this.decode('device', line.value);
        const deviceId = device?.id ?? (typeof id === 'string' ? id : undefined);
        if (deviceId === undefined) return;
        if (line.op === 'deleted' || !device) this.devicesById.delete(deviceId);
        else this.devicesById.set(deviceId, device);
        this.emit('device', this.devicesById.get(deviceId), deviceId);
        return;
      }
      case 'session': {
        const session = this.decode('session', line.value);
        if (!session) return;
        const current = this.sessionsByVpnIp.get(session.vpnIp);
        if (line.op !== 'deleted' && session.state === 'active') {
          this.setSession(session);
          if (current && current.id !== session.id) this.emit('sessionEnded', current);
          return;
        }
        if (current?.id === session.id) this.deleteSession(session.vpnIp);
        this.emit('sessionEnded', session);
        return;
      }
    }
  }

  private putAccount(account: PublicAccount): void {
    const before = this.accountsById.get(account.id);
    if (before && before.username !== account.username) this.accountsByName.delete(before.username);
    this.accountsById.set(account.id, account);
    this.accountsByName.set(account.username, account);
  }

  private removeAccount(id: string): void {
    const before = this.accountsById.get(id);
    if (!before) return;
    this.accountsById.delete(id);
    this.accountsByName.delete(before.username);
  }
}
