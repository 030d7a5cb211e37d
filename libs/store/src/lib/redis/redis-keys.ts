/**
 * Every key the Redis store touches. Scripts receive index keys as arguments, so the store runs
 * on a single Redis (or a Sentinel pair), not on Redis Cluster.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  readonly revision = () => `${this.prefix}revision`;
  /** The data's generation: gone with the data (a flush, an empty restart), then made anew. */
  readonly epoch = () => `${this.prefix}epoch`;
  readonly changes = () => `${this.prefix}changes`;
  readonly channel = () => `${this.prefix}changes:notify`;
  readonly account = (id: string) => `${this.prefix}account:${id}`;
  readonly accountUsed = (id: string) => `${this.prefix}account:${id}:used`;
  /** The account's byte leases: holder -> "remaining:expiresAt"; expires with the last one. */
  readonly accountLeases = (id: string) => `${this.prefix}account:${id}:leases`;
  /** The account's connection slots: holder -> "held:expiresAt"; expires with the last one. */
  readonly accountSlots = (id: string) => `${this.prefix}account:${id}:slots`;
  /** Hash username -> account id: the username's uniqueness lives here. */
  readonly accountUsernames = () => `${this.prefix}accounts:by-username`;
  /** Sorted set of account ids, all score 0, so ZRANGE BYLEX pages by id. */
  readonly accountIds = () => `${this.prefix}accounts:ids`;
  readonly device = (id: string) => `${this.prefix}device:${id}`;
  readonly deviceIds = () => `${this.prefix}devices:ids`;
  /** A device's latest heartbeat, kept out of its record so that heartbeats make no change. */
  readonly deviceSeen = (id: string) => `${this.prefix}device:${id}:seen`;
  readonly session = (id: string) => `${this.prefix}session:${id}`;
  readonly activeSessions = () => `${this.prefix}sessions:active`;
  /** Sorted set per VPN IP of its active session ids, scored by the revision that created them. */
  readonly activeSessionsByIp = (vpnIp: string) => `${this.prefix}sessions:active:ip:${vpnIp}`;
  /** Sorted set of closed session ids scored by closedAt (ms), for pruning. */
  readonly closedSessions = () => `${this.prefix}sessions:closed`;
  /** An applied usage report's id, with the reporter as value and the report memory as TTL. */
  readonly usageReport = (id: string) => `${this.prefix}usage-report:${id}`;
  /** A failed-login counter (`ip:…`, `user:…`), with the window as its TTL. */
  readonly loginAttempts = (key: string) => `${this.prefix}login-attempts:${key}`;
}
