import { Redis } from 'ioredis';
import type { Store } from '../store';
import { StoreError } from '../store-error';
import { RedisAccounts } from './redis-accounts';
import { RedisChanges } from './redis-changes';
import { RedisDevices } from './redis-devices';
import { RedisKeys } from './redis-keys';
import { RedisLoginAttempts } from './redis-login-attempts';
import { RedisLeases } from './redis-leases';
import { RedisSlots } from './redis-slots';
import { RedisUsage } from './redis-usage';
import { RedisMutator } from './redis-mutator';
import { RedisSessions } from './redis-sessions';

export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port/db` */
  url: string;
  /** Namespaces every key, so relays of separate platforms (or tests) can share one Redis. */
  keyPrefix?: string;
  now?: () => Date;
}

/** The shared store: several relay nodes see the same accounts, devices, quotas and sessions. */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly accounts: RedisAccounts;
  readonly devices: RedisDevices;
  readonly sessions: RedisSessions;
  readonly changes: RedisChanges;
  readonly loginAttempts: RedisLoginAttempts;
  readonly usage: RedisUsage;
  readonly leases: RedisLeases;
  readonly slots: RedisSlots;
  private readonly redis: Redis;
  /** Reconnect only a connection that once worked: a wrong URL at boot fails at once. */
  private reconnect = false;

  constructor({ url, keyPrefix = 'tunnelgate:', now = () => new Date() }: RedisStoreOptions) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      // Fail a call after a few seconds of outage instead of queueing it forever: the API
      // answers 503 and the hook retries, which beats a connect that hangs.
      maxRetriesPerRequest: 2,
      connectTimeout: 3000,
      // A command that has no answer within a second fails (queued while reconnecting too): the
      // API answers 503 well inside a hook's 5 s, instead of after the retries above.
      commandTimeout: 1000,
      // A refused connect otherwise holds a 2 s timer that keeps the process alive on shutdown.
      disconnectTimeout: 200,
      retryStrategy: (attempt) => (this.reconnect ? Math.min(attempt * 200, 2000) : null),
    });
    // Connection errors surface through the calls that fail; without a listener ioredis would log.
    this.redis.on('error', () => undefined);
    const keys = new RedisKeys(keyPrefix);
    const mutator = new RedisMutator(this.redis, keys);
    this.accounts = new RedisAccounts(this.redis, keys, mutator, now);
    this.devices = new RedisDevices(this.redis, keys, mutator, now);
    this.sessions = new RedisSessions(this.redis, keys, mutator);
    this.changes = new RedisChanges(this.redis, keys);
    this.loginAttempts = new RedisLoginAttempts(this.redis, keys);
    this.usage = new RedisUsage(this.redis, keys);
    this.leases = new RedisLeases(this.redis, keys);
    this.slots = new RedisSlots(this.redis, keys);
  }

  /** Connects and checks the server answers; call once before use. */
  async open(): Promise<this> {
    try {
      await this.redis.connect();
      await this.ping();
      this.reconnect = true;
    } catch (error) {
      this.redis.disconnect();
      throw new StoreError('UNAVAILABLE', `cannot reach Redis: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return this;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.reconnect = false;
    await this.changes.close();
    if (this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
