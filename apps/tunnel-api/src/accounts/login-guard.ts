import { Injectable } from '@nestjs/common';
import type { Store } from '@tunnelgate/store';
import { LRUCache } from 'lru-cache';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { ApiError } from '../http/api-error';
import { InjectStore } from '../store/store.module';
import type { CheckLane } from './password-check-queue';

/** One login on its way through the password check. */
export interface LoginAttempt {
  /** The check queue's line this login waits in. */
  lane: CheckLane;
  /** The password was right: its charge is taken back and the pair remembered. */
  succeeded(): Promise<void>;
}

const WINDOW_MS = 60_000;
const KNOWN_PAIR_MS = 24 * 3600_000;

/**
 * Failed-login limits, charged before the password is checked (a flood is refused before it
 * costs a hash) and taken back after a success, per source address and per username, in the
 * store so that every node sharing it counts together. A username's limit does not apply from
 * an address it logged in from within a day: guessing someone's password cannot lock them out
 * of the places they use. Those known pairs also get the check queue's priority line.
 */
@Injectable()
export class LoginGuard {
  private readonly knownPairs = new LRUCache<string, true>({ max: 100_000, ttl: KNOWN_PAIR_MS });

  constructor(
    @InjectStore() private readonly store: Store,
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
  ) {}

  async admit(username: string, clientIp: string, priority: boolean): Promise<LoginAttempt> {
    const pair = `${username}\0${clientIp}`;
    const known = this.knownPairs.has(pair);
    const limits = [{ key: `ip:${clientIp}`, limit: this.config.auth.failuresPerIp }];
    if (!known) limits.push({ key: `user:${username}`, limit: this.config.auth.failuresPerUser });
    const full = await this.store.loginAttempts.charge(limits, WINDOW_MS);
    if (full.length > 0)
      throw new ApiError(
        'RATE_LIMITED',
        full[0]?.startsWith('ip:')
          ? 'too many failed logins from this address; wait a minute'
          : 'too many failed logins for this username; wait a minute',
      );
    return {
      lane: priority || known ? 'priority' : 'normal',
      succeeded: async () => {
        this.knownPairs.set(pair, true);
        await this.store.loginAttempts.refund(limits.map(({ key }) => key));
      },
    };
  }
}
