import type { ByteLeaseRequest, ByteLeaseResponse } from '@tunnelgate/sessions';
import { ApiRefusal } from '@tunnelgate/api-client';
import { ByteAllowance } from './byte-allowance';

/** A store's lease arithmetic for one account, in memory: the contract is tested on real stores. */
class LeaseApi {
  readonly asked: number[] = [];
  quota = 1_000_000;
  used = 0;
  held = 0;
  /** What other gateways hold of the quota. */
  others = 0;
  failures = 0;
  gone = false;

  async leaseBytes(request: ByteLeaseRequest): Promise<ByteLeaseResponse> {
    this.asked.push(request.bytes);
    if (this.failures > 0 && this.failures--) throw new Error('tunnel-api unreachable');
    if (this.gone) throw new ApiRefusal(404, 'NOT_FOUND', 'no account');
    const left = this.quota - this.used - this.held - this.others;
    const granted = Math.max(0, Math.min(request.bytes, left));
    this.held += granted;
    return {
      granted,
      remaining: this.held,
      expiresAt: Date.now() + 30_000,
      unlimited: false,
      quotaLeft: this.quota - this.used,
    };
  }

  async releaseLease(): Promise<void> {
    this.held = 0;
  }

  /** A usage report of `bytes` relayed under the lease. */
  report(bytes: number): void {
    this.used += bytes;
    this.held = Math.max(0, this.held - bytes);
  }
}

const options = { holder: 'gw-1', minLeaseBytes: 1000, maxLeaseBytes: 8000 };
const quiet = () => undefined;

describe('ByteAllowance', () => {
  it('leases before the first byte, asks again before the lease is spent, and grows the lease while busy', async () => {
    const api = new LeaseApi();
    const allowance = new ByteAllowance(api, options, async () => undefined, quiet);
    const budget = allowance.budgetFor('acc', true);
    if (!budget) throw new Error('an account with a quota has a budget');
    expect(budget.take(100)).toBe(0);
    expect(await budget.more()).toBe(true);
    expect(budget.take(600)).toBe(600);
    // Below half of it left: the next lease is asked for at once, twice the size (busy).
    expect(await budget.more()).toBe(true);
    expect(api.asked).toEqual([1000, 2000]);
    expect(allowance.held('acc')).toBe(2400);
    expect(allowance.budgetFor('free', false)).toBeUndefined();
  });

  it('stops when the quota is used up, after reporting what the store has not heard of', async () => {
    const api = new LeaseApi();
    api.quota = 1500;
    let reports = 0;
    const allowance = new ByteAllowance(
      api,
      options,
      async () => {
        reports++;
        api.report(api.held);
      },
      quiet,
    );
    const budget = allowance.budgetFor('acc', true)!;
    await budget.more();
    expect(budget.take(5000)).toBe(1000);
    expect(await budget.more()).toBe(true);
    expect(budget.take(5000)).toBe(500);
    // The store holds 1,500 leased and unreported: it is told, then has nothing to give.
    expect(await budget.more()).toBe(false);
    expect(reports).toBe(1);
    expect(budget.takeWhole(1)).toBe(false);
  });

  it('keeps tunnels waiting through a failing tunnel-api, and lets them go on when it answers', async () => {
    const api = new LeaseApi();
    api.failures = 2;
    const allowance = new ByteAllowance(api, options, async () => undefined, quiet);
    const budget = allowance.budgetFor('acc', true)!;
    expect(await budget.more()).toBe(true);
    expect(api.asked).toHaveLength(3);
    expect(budget.takeWhole(1000)).toBe(true);
  });

  it('waits while other gateways hold the rest of the quota, not taking that for used up', async () => {
    const api = new LeaseApi();
    api.quota = 5000;
    api.others = 5000;
    const allowance = new ByteAllowance(api, options, async () => undefined, quiet);
    const budget = allowance.budgetFor('acc', true)!;
    const more = budget.more();
    await new Promise((resolve) => setTimeout(resolve, 100));
    api.others = 0; // they released it
    expect(await more).toBe(true);
    expect(budget.take(5000)).toBe(1000);
  });

  it('drops a datagram the last of the quota cannot carry whole, and says the quota is used up', async () => {
    const api = new LeaseApi();
    api.quota = 2500;
    const allowance = new ByteAllowance(api, options, async () => api.report(api.held), quiet);
    const budget = allowance.budgetFor('acc', true)!;
    await budget.more();
    expect(budget.takeWhole(1000)).toBe(true);
    expect(await budget.more(1000)).toBe(true);
    expect(budget.takeWhole(1000)).toBe(true);
    // 500 left of the quota, all of it here: a datagram of 1,000 never fits.
    expect(budget.takeWhole(1000)).toBe(false);
    expect(await budget.more(1000)).toBe(false);
    expect(budget.takeWhole(500)).toBe(true);
  });

  it('stops the tunnels of an account that is gone', async () => {
    const api = new LeaseApi();
    api.gone = true;
    const allowance = new ByteAllowance(api, options, async () => undefined, quiet);
    expect(await allowance.budgetFor('acc', true)!.more()).toBe(false);
  });
});
