import type { Account, Change, ClientSession, Device, Page } from '@tunnelgate/sessions';

/** Fields an account update may change; ids, creation time and the counter are not among them. */
export type AccountPatch = Partial<
  Pick<
    Account,
    | 'username'
    | 'passwordHash'
    | 'deviceId'
    | 'protocols'
    | 'cidrWhitelist'
    | 'quotaBytes'
    | 'maxConnections'
    | 'enabled'
  >
>;
export type DevicePatch = Partial<Omit<Device, 'id' | 'createdAt' | 'updatedAt'>>;
export type SessionPatch = Partial<
  Pick<ClientSession, 'state' | 'closedAt' | 'closeReason' | 'bytesIn' | 'bytesOut'>
>;

export interface PageRequest {
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AccountRepository {
  /** Fails with CONFLICT when the id or the username is taken. */
  create(account: Account): Promise<Account>;
  get(id: string): Promise<Account | undefined>;
  getByUsername(username: string): Promise<Account | undefined>;
  /** Fails with NOT_FOUND, or CONFLICT when the new username is taken. */
  update(id: string, patch: AccountPatch): Promise<Account>;
  /** Returns the deleted account, or undefined when there was none. */
  delete(id: string): Promise<Account | undefined>;
  /** Ordered by id. */
  list(page: PageRequest): Promise<Page<Account>>;
  resetUsedBytes(id: string): Promise<Account>;
}

export interface DeviceRepository {
  /** Creates the device or replaces it whole, keeping its createdAt. */
  put(device: Device): Promise<Device>;
  get(id: string): Promise<Device | undefined>;
  /** Every device (a relay holds at most a few thousand), ordered by id. */
  list(): Promise<Device[]>;
  update(id: string, patch: DevicePatch): Promise<Device>;
  delete(id: string): Promise<Device | undefined>;
  /**
   * A heartbeat: records `lastSeenAt` beside the record, with no change on the feed (devices
   * heartbeat every few seconds; only going online or offline is news). Reads show the newest
   * of the two. Returns the device as it is now, or undefined when there is none.
   */
  touch(id: string, lastSeenAt: string): Promise<Device | undefined>;
}

export interface ActiveSessionFilter {
  accountId?: string;
  deviceId?: string;
}

export interface SessionRepository {
  /** Fails with CONFLICT when the id is taken. */
  create(session: ClientSession): Promise<ClientSession>;
  get(id: string): Promise<ClientSession | undefined>;
  update(id: string, patch: SessionPatch): Promise<ClientSession>;
  /**
   * The active session holding a VPN IP. OpenVPN reuses pool addresses and a disconnect can be
   * missed, so several may be active at once: the newest (latest connectedAt, then latest
   * created) wins.
   */
  findActiveByVpnIp(vpnIp: string): Promise<ClientSession | undefined>;
  /** Active sessions, ordered by connectedAt then id. */
  listActive(filter?: ActiveSessionFilter): Promise<ClientSession[]>;
  /** Forgets closed sessions that closed before `before`; returns how many. */
  pruneClosed(before: Date): Promise<number>;
}

/** One counter of login attempts and the most it may reach within its window. */
export interface AttemptLimit {
  key: string;
  limit: number;
}

/**
 * Failed-login counters, shared by every node on the store. A login charges its attempt before
 * the password is checked (so a flood is refused before it costs a hash) and a success takes it
 * back: what stays counted are the failures.
 */
export interface LoginAttemptRepository {
  /**
   * Charges one attempt to every key, in fixed windows of `windowMs` from a key's first attempt,
   * unless one of them is at its limit already: then nothing is charged, and the keys at their
   * limit are returned. All or nothing, atomically.
   */
  charge(limits: readonly AttemptLimit[], windowMs: number): Promise<string[]>;
  /** Takes back one attempt of each key (the login succeeded). */
  refund(keys: readonly string[]): Promise<void>;
}

/** A gateway's bytes per account since its previous report, under an id of its choosing. */
export interface UsageReport {
  /** The same on every retry of this report, never used for another. */
  id: string;
  /** Which gateway sent it; kept with the id, for audits. */
  reporter: string;
  entries: readonly { accountId: string; bytes: number }[];
}

export interface AppliedUsageReport {
  /** The id was applied before (a retry, a replay): nothing was added this time. */
  duplicate: boolean;
  /** The counters after the report, of the accounts that exist. */
  totals: { accountId: string; usedBytes: number }[];
  /** Accounts of the report that do not exist (deleted meanwhile): nothing was added for them. */
  unknownAccounts: string[];
}

/** How long a store remembers an applied report's id: a retry later than this counts again. */
export const USAGE_REPORT_MEMORY_MS = 24 * 60 * 60 * 1000;

/**
 * The billing counters' only way up. A report is applied exactly once, atomically with
 * remembering its id, so a gateway that did not hear the answer sends the same report again
 * without counting it twice.
 */
export interface UsageRepository {
  apply(report: UsageReport): Promise<AppliedUsageReport>;
}

/**
 * A gateway's right to relay an account's bytes without asking again: reserved atomically from
 * what the quota leaves, so every relay together never relays past the quota (issue 19).
 */
export interface ByteLease {
  /** Bytes the holder may still relay under its lease (what it had left, plus `granted`). */
  remaining: number;
  /** Of those, reserved by this call: 0 when the quota has nothing left to give. */
  granted: number;
  /** When the lease lapses unless renewed (ms since the epoch, on the store's clock). */
  expiresAt: number;
  /** The account has no quota: leases are not needed, and `granted` is what was asked. */
  unlimited: boolean;
  /**
   * What the quota leaves after the used bytes, leases aside (null without quota). Nothing
   * granted while this is above `remaining`: other holders have the rest, for now.
   */
  quotaLeft: number | null;
}

/** The largest lease one call may ask for (1 GiB): a lease is a short run, not a plan. */
export const MAX_LEASE_BYTES = 2 ** 30;

/**
 * Byte leases per (account, holder). What an account can still lease is its quota, less its
 * used bytes, less every other holder's unexpired remainder. A usage report takes its bytes out
 * of the reporter's lease in the same transaction that counts them; a lease that is neither
 * renewed nor reported on lapses after its TTL, and its remainder goes back (a dead gateway's).
 */
export interface LeaseRepository {
  /**
   * Tops the holder's lease up by at most `bytes` and renews it for `ttlMs`. Undefined for an
   * account that does not exist.
   */
  acquire(
    accountId: string,
    holder: string,
    bytes: number,
    ttlMs: number,
  ): Promise<ByteLease | undefined>;
  /** Gives what is left of the holder's lease back (its last connection of the account ended). */
  release(accountId: string, holder: string): Promise<void>;
}

/** A holder's connection slots on an account, after a `hold`. */
export interface SlotHold {
  /** Slots the holder has now (at most what it wanted). */
  held: number;
  /** The account's maxConnections (null: no limit, every slot wanted is held). */
  limit: number | null;
}

/**
 * Connection slots per (account, holder), so that an account's maxConnections holds across
 * every relay sharing the store (issue 19). A holder sets how many it wants (idempotent: a retry
 * asks the same); it gets at most what the limit leaves after `reserved` (the account's OpenVPN
 * sessions, which count too) and every other holder's unexpired slots. Slots lapse after their
 * TTL unless held again, so a dead gateway's free themselves.
 */
export interface SlotRepository {
  /** Undefined for an account that does not exist. */
  hold(
    accountId: string,
    holder: string,
    wanted: number,
    reserved: number,
    ttlMs: number,
  ): Promise<SlotHold | undefined>;
  /** Every holder's unexpired slots on the account (the OpenVPN admission counts them). */
  held(accountId: string): Promise<number>;
}

export type ChangeListener = (change: Change) => void;

export interface Watch {
  /** Stops delivery; resolves when the watch loop has ended. */
  stop(): Promise<void>;
}

/**
 * Where the feed stands. Revisions count within an epoch: the generation of the store's data,
 * new whenever the data may have been replaced (a SQLite store opened again, possibly from a
 * backup; a Redis flushed, restarted, restored or failed over). A revision of another epoch says
 * nothing about this one's changes.
 */
export interface FeedHead {
  epoch: string;
  revision: number;
}

export interface ChangeFeed {
  /** The revision of the newest change (0 for an empty store). */
  currentRevision(): Promise<number>;
  /** The epoch and the newest revision, read together. */
  head(): Promise<FeedHead>;
  /**
   * Changes with a revision above `after`, oldest first, at most `limit`. Fails with
   * REVISION_COMPACTED when changes after `after` were already trimmed, when `after` is ahead of
   * the store, or when `epoch` is given and is not the store's: the caller must re-list.
   */
  since(after: number, limit: number, epoch?: string): Promise<Change[]>;
  /**
   * Delivers every change after `after` in order, then each new one as it commits, until stopped.
   * `onError` gets REVISION_COMPACTED (re-list and watch again: also when the epoch changes while
   * watching, if `epoch` was given) or a lost backend; the watch has ended when it is called.
   */
  watch(
    after: number,
    onChange: ChangeListener,
    onError: (error: Error) => void,
    epoch?: string,
  ): Watch;
}

/** Everything tunnel-api keeps: one interface, an embedded and a shared implementation. */
export interface Store {
  readonly kind: 'sqlite' | 'redis';
  readonly accounts: AccountRepository;
  readonly devices: DeviceRepository;
  readonly sessions: SessionRepository;
  readonly changes: ChangeFeed;
  readonly loginAttempts: LoginAttemptRepository;
  readonly usage: UsageRepository;
  readonly leases: LeaseRepository;
  readonly slots: SlotRepository;
  /** Resolves when the backend answers; readiness probes call it. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
