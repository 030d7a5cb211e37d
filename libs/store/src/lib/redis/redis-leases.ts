import type { Redis } from 'ioredis';
import { MAX_BYTE_COUNT } from '@tunnelgate/sessions';
import type { ByteLease, LeaseRepository } from '../store';
import { assertValidLeaseRequest } from '../usage-report-check';
import { ACQUIRE_LEASE_SCRIPT } from './mutate.lua';
import type { RedisKeys } from './redis-keys';
import { defineScript } from './redis-mutator';

/** Byte leases by one script per acquire: every relay sharing the store sees one quota. */
export class RedisLeases implements LeaseRepository {
  private readonly acquireScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.acquireScript = defineScript(redis, 'tunnelgateAcquireLease', 0, ACQUIRE_LEASE_SCRIPT);
  }

  async acquire(
    accountId: string,
    holder: string,
    bytes: number,
    ttlMs: number,
  ): Promise<ByteLease | undefined> {
    assertValidLeaseRequest(accountId, bytes, ttlMs);
    const [remaining, granted, expiresAt, unlimited, quotaLeft] = (await this.acquireScript(
      this.keys.account(accountId),
      this.keys.accountUsed(accountId),
      this.keys.accountLeases(accountId),
      holder,
      bytes,
      ttlMs,
      MAX_BYTE_COUNT,
    )) as unknown as number[];
    if (remaining === undefined || remaining < 0) return undefined;
    return {
      remaining,
      granted: granted ?? 0,
      expiresAt: expiresAt ?? 0,
      unlimited: unlimited === 1,
      quotaLeft: quotaLeft === undefined || quotaLeft < 0 ? null : quotaLeft,
    };
  }

  async release(accountId: string, holder: string): Promise<void> {
    await this.redis.hdel(this.keys.accountLeases(accountId), holder);
  }
}
