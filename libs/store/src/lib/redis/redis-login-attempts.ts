import type { Redis } from 'ioredis';
import type { AttemptLimit, LoginAttemptRepository } from '../store';
import { CHARGE_ATTEMPTS_SCRIPT, REFUND_ATTEMPTS_SCRIPT } from './mutate.lua';
import type { RedisKeys } from './redis-keys';
import { defineScript } from './redis-mutator';

/** Failed-login counters with a TTL each, shared by every node on this Redis. */
export class RedisLoginAttempts implements LoginAttemptRepository {
  private readonly chargeScript;
  private readonly refundScript;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.chargeScript = defineScript(redis, 'tunnelgateChargeAttempts', 0, CHARGE_ATTEMPTS_SCRIPT);
    this.refundScript = defineScript(redis, 'tunnelgateRefundAttempts', 0, REFUND_ATTEMPTS_SCRIPT);
  }

  async charge(limits: readonly AttemptLimit[], windowMs: number): Promise<string[]> {
    if (limits.length === 0) return [];
    const full = (await this.chargeScript(
      windowMs,
      ...limits.flatMap(({ key, limit }) => [this.keys.loginAttempts(key), limit]),
    )) as number[] | null;
    return (full ?? []).map((index) => limits[index - 1]?.key ?? '');
  }

  async refund(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.refundScript(...keys.map((key) => this.keys.loginAttempts(key)));
  }
}
