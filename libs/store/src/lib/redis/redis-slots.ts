import type { Redis } from 'ioredis';
import type { SlotHold, SlotRepository } from '../store';
import { assertValidSlotRequest } from '../usage-report-check';
import { HOLD_SLOTS_SCRIPT } from './mutate.lua';
import type { RedisKeys } from './redis-keys';
import { defineScript } from './redis-mutator';

/** Connection slots by one script per hold: every relay sharing the store sees one limit. */
export class RedisSlots implements SlotRepository {
  private readonly holdScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.holdScript = defineScript(redis, 'tunnelgateHoldSlots', 0, HOLD_SLOTS_SCRIPT);
  }

  async hold(
    accountId: string,
    holder: string,
    wanted: number,
    reserved: number,
    ttlMs: number,
  ): Promise<SlotHold | undefined> {
    assertValidSlotRequest(accountId, wanted, reserved, ttlMs);
    const [held, limit] = (await this.holdScript(
      this.keys.account(accountId),
      this.keys.accountSlots(accountId),
      holder,
      wanted,
      reserved,
      ttlMs,
    )) as unknown as number[];
    if (held === undefined || held < 0) return undefined;
    return { held, limit: limit === undefined || limit < 0 ? null : limit };
  }

  async held(accountId: string): Promise<number> {
    const now = Date.now();
    const slots = await this.redis.hvals(this.keys.accountSlots(accountId));
    // The server's clock set the expiries; a reader's few ms of skew only shift the lapse.
    let held = 0;
    for (const slot of slots) {
      const [count, expires] = slot.split(':').map(Number);
      if ((expires ?? 0) > now) held += count ?? 0;
    }
    return held;
  }
}
