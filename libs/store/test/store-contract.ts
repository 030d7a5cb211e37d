import { MAX_BYTE_COUNT, type Change } from '@tunnelgate/sessions';
import { isStoreError, type Store, type UsageReport } from '../src';
import { aDevice, aSession, anAccount } from '@tunnelgate/sessions/testing';

export interface StoreHarness {
  /** A fresh, empty store for one test. */
  open(): Promise<Store>;
  /** A second client on the same data as the last `open()`, as another process would have. */
  openSecondClient(): Promise<Store>;
}

function collect(store: Store, after: number, count: number): Promise<Change[]> {
  return new Promise((resolve, reject) => {
    const seen: Change[] = [];
    const watch = store.changes.watch(
      after,
      (change) => {
        seen.push(change);
        if (seen.length === count) void watch.stop().then(() => resolve(seen));
      },
      reject,
    );
  });
}

function report(id: string, bytes: Record<string, number>): UsageReport {
  return {
    id,
    reporter: 'gateway-test',
    entries: Object.entries(bytes).map(([accountId, count]) => ({ accountId, bytes: count })),
  };
}

/** The behaviour every Store must have; run against SQLite and a real Redis. */
export function describeStoreContract(name: string, harness: StoreHarness): void {
  describe(`${name} store contract`, () => {
    let store: Store;
    const others: Store[] = [];

    beforeEach(async () => {
      store = await harness.open();
    });
    afterEach(async () => {
      await Promise.all(others.splice(0).map((s) => s.close()));
      await store.close();
    });

    describe('accounts', () => {
      it('finds an account by id and by username, with its counter', async () => {
        await store.accounts.create(anAccount({ id: 'a1', username: 'alice' }));
        expect((await store.accounts.get('a1'))?.username).toBe('alice');
        expect((await store.accounts.getByUsername('alice'))?.id).toBe('a1');
        expect(await store.accounts.get('nope')).toBeUndefined();
        expect(await store.accounts.getByUsername('nobody')).toBeUndefined();
      });

      it('refuses a second account with a taken username or id', async () => {
        await store.accounts.create(anAccount({ id: 'a1', username: 'alice' }));
        await expect(
          store.accounts.create(anAccount({ id: 'a2', username: 'alice' })),
        ).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        await expect(
          store.accounts.create(anAccount({ id: 'a1', username: 'bob' })),
        ).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        expect(await store.accounts.getByUsername('bob')).toBeUndefined();
      });

      it('renames an account, freeing the old username and refusing a taken one', async () => {
        await store.accounts.create(anAccount({ id: 'a1', username: 'alice' }));
        await store.accounts.create(anAccount({ id: 'a2', username: 'bob' }));
        const renamed = await store.accounts.update('a1', { username: 'carol', enabled: false });
        expect(renamed).toMatchObject({ username: 'carol', enabled: false });
        expect(await store.accounts.getByUsername('alice')).toBeUndefined();
        expect((await store.accounts.getByUsername('carol'))?.enabled).toBe(false);
        await expect(store.accounts.update('a1', { username: 'bob' })).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        await expect(store.accounts.update('zz', { enabled: true })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      });

      it('deletes an account and its username, once', async () => {
        await store.accounts.create(anAccount({ id: 'a1', username: 'alice' }));
        expect((await store.accounts.delete('a1'))?.id).toBe('a1');
        expect(await store.accounts.delete('a1')).toBeUndefined();
        expect(await store.accounts.getByUsername('alice')).toBeUndefined();
        await store.accounts.create(anAccount({ id: 'a3', username: 'alice' }));
      });

      it('pages through accounts ordered by id', async () => {
        for (const id of ['c', 'a', 'e', 'b', 'd'])
          await store.accounts.create(anAccount({ id, username: `u-${id}` }));
        const first = await store.accounts.list({ limit: 2 });
        expect(first.items.map((a) => a.id)).toEqual(['a', 'b']);
        const second = await store.accounts.list({ limit: 2, cursor: first.nextCursor });
        expect(second.items.map((a) => a.id)).toEqual(['c', 'd']);
        const last = await store.accounts.list({ limit: 2, cursor: second.nextCursor });
        expect(last).toEqual({ items: [expect.objectContaining({ id: 'e' })] });
      });

      it('resets usage', async () => {
        await store.accounts.create(anAccount({ id: 'a1' }));
        await store.usage.apply(report('r1', { a1: 500 }));
        expect((await store.accounts.resetUsedBytes('a1')).usedBytes).toBe(0);
        expect((await store.accounts.get('a1'))?.usedBytes).toBe(0);
      });

      it('refuses to store an invalid record', async () => {
        const bad = anAccount({ id: 'a1', passwordHash: 'hunter2' });
        await expect(store.accounts.create(bad)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
        expect(await store.accounts.get('a1')).toBeUndefined();
      });
    });

    describe('devices', () => {
      it('records a heartbeat beside the record, with no change on the feed', async () => {
        await store.devices.put(aDevice({ id: 'd1', lastSeenAt: '2026-01-01T00:00:00.000Z' }));
        const revision = await store.changes.currentRevision();
        const seen = await store.devices.touch('d1', '2026-01-01T00:00:05.000Z');
        expect(seen).toMatchObject({ id: 'd1', status: 'online' });
        expect(seen?.lastSeenAt).toBe('2026-01-01T00:00:05.000Z');
        // Another client on the same data (another relay) sees it too.
        const other = await harness.openSecondClient();
        others.push(other);
        expect((await other.devices.get('d1'))?.lastSeenAt).toBe('2026-01-01T00:00:05.000Z');
        expect((await other.devices.list())[0]?.lastSeenAt).toBe('2026-01-01T00:00:05.000Z');
        expect(await store.changes.currentRevision()).toBe(revision);
        // A real change later still carries the newest time it was seen.
        const offline = await store.devices.update('d1', { status: 'offline' });
        expect(offline.lastSeenAt).toBe('2026-01-01T00:00:05.000Z');
      });

      it('touches no device that does not exist, and forgets heartbeats with the device', async () => {
        expect(await store.devices.touch('ghost', '2026-01-01T00:00:05.000Z')).toBeUndefined();
        expect(await store.devices.get('ghost')).toBeUndefined();
        await store.devices.put(aDevice({ id: 'd1', lastSeenAt: null }));
        await store.devices.touch('d1', '2026-01-01T00:00:05.000Z');
        await store.devices.delete('d1');
        await store.devices.put(aDevice({ id: 'd1', lastSeenAt: null }));
        expect((await store.devices.get('d1'))?.lastSeenAt).toBeNull();
      });

      it('creates, replaces (keeping createdAt), updates and deletes a device', async () => {
        await store.devices.put(aDevice({ id: 'd2' }));
        await store.devices.put(aDevice({ id: 'd1', createdAt: '2026-02-02T00:00:00.000Z' }));
        const replaced = await store.devices.put(
          aDevice({ id: 'd1', name: 'renamed', createdAt: '2030-01-01T00:00:00.000Z' }),
        );
        expect(replaced).toMatchObject({ name: 'renamed', createdAt: '2026-02-02T00:00:00.000Z' });
        expect((await store.devices.list()).map((d) => d.id)).toEqual(['d1', 'd2']);
        expect((await store.devices.update('d1', { status: 'offline' })).status).toBe('offline');
        expect((await store.devices.delete('d2'))?.id).toBe('d2');
        expect(await store.devices.delete('d2')).toBeUndefined();
        expect((await store.devices.list()).map((d) => d.id)).toEqual(['d1']);
        await expect(store.devices.update('d2', { status: 'online' })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      });
    });

    describe('sessions', () => {
      it('returns the newest active session when a VPN IP was reused', async () => {
        await store.sessions.create(
          aSession({ id: 'old', vpnIp: '10.9.0.5', connectedAt: '2026-01-01T10:00:00.000Z' }),
        );
        await store.sessions.create(
          aSession({ id: 'new', vpnIp: '10.9.0.5', connectedAt: '2026-01-01T11:00:00.000Z' }),
        );
        // Created later but with an older connect time (a retried hook): it does not win.
        await store.sessions.create(
          aSession({ id: 'late', vpnIp: '10.9.0.5', connectedAt: '2026-01-01T09:00:00.000Z' }),
        );
        expect((await store.sessions.findActiveByVpnIp('10.9.0.5'))?.id).toBe('new');
        await store.sessions.update('new', {
          state: 'closed',
          closedAt: '2026-01-01T12:00:00.000Z',
          closeReason: 'disconnect',
        });
        expect((await store.sessions.findActiveByVpnIp('10.9.0.5'))?.id).toBe('old');
        expect(await store.sessions.findActiveByVpnIp('10.9.0.99')).toBeUndefined();
      });

      it('breaks a tie on connect time by creation order', async () => {
        await store.sessions.create(aSession({ id: 'z-first', vpnIp: '10.9.0.6' }));
        await store.sessions.create(aSession({ id: 'a-second', vpnIp: '10.9.0.6' }));
        expect((await store.sessions.findActiveByVpnIp('10.9.0.6'))?.id).toBe('a-second');
      });

      it('lists active sessions by account and device, and forgets old closed ones', async () => {
        await store.sessions.create(
          aSession({
            id: 's1',
            accountId: 'a1',
            deviceId: 'd1',
            connectedAt: '2026-01-01T01:00:00.000Z',
          }),
        );
        await store.sessions.create(
          aSession({
            id: 's2',
            accountId: 'a2',
            deviceId: 'd1',
            connectedAt: '2026-01-01T02:00:00.000Z',
          }),
        );
        await store.sessions.create(
          aSession({
            id: 's3',
            accountId: 'a1',
            deviceId: 'd2',
            connectedAt: '2026-01-01T03:00:00.000Z',
          }),
        );
        await store.sessions.update('s3', {
          state: 'closed',
          closedAt: '2026-01-02T00:00:00.000Z',
          closeReason: 'kicked',
          bytesIn: 5,
        });
        expect((await store.sessions.listActive()).map((s) => s.id)).toEqual(['s1', 's2']);
        expect((await store.sessions.listActive({ accountId: 'a1' })).map((s) => s.id)).toEqual([
          's1',
        ]);
        expect(
          (await store.sessions.listActive({ deviceId: 'd1', accountId: 'a2' })).map((s) => s.id),
        ).toEqual(['s2']);
        expect(await store.sessions.get('s3')).toMatchObject({
          state: 'closed',
          bytesIn: 5,
          closeReason: 'kicked',
        });
        expect(await store.sessions.pruneClosed(new Date('2026-01-01T12:00:00.000Z'))).toBe(0);
        expect(await store.sessions.pruneClosed(new Date('2026-01-03T00:00:00.000Z'))).toBe(1);
        expect(await store.sessions.get('s3')).toBeUndefined();
        expect(await store.sessions.get('s1')).toBeDefined();
      });

      it('refuses a duplicate session id', async () => {
        await store.sessions.create(aSession({ id: 's1' }));
        await expect(store.sessions.create(aSession({ id: 's1' }))).rejects.toMatchObject({
          code: 'CONFLICT',
        });
      });
    });

    describe('login attempts', () => {
      const limits = (ip: number, user: number) => [
        { key: 'ip:203.0.113.9', limit: ip },
        { key: 'user:alice', limit: user },
      ];

      it('charges every key until one is full, then none, and says which is full', async () => {
        for (let i = 0; i < 3; i++)
          expect(await store.loginAttempts.charge(limits(3, 5), 60_000)).toEqual([]);
        expect(await store.loginAttempts.charge(limits(3, 5), 60_000)).toEqual(['ip:203.0.113.9']);
        // The refused charge took nothing from the username: two more fit under 5 there.
        const other = [{ key: 'user:alice', limit: 5 }];
        expect(await store.loginAttempts.charge(other, 60_000)).toEqual([]);
        expect(await store.loginAttempts.charge(other, 60_000)).toEqual([]);
        expect(await store.loginAttempts.charge(other, 60_000)).toEqual(['user:alice']);
      });

      it('takes refunded attempts back, never below zero', async () => {
        await store.loginAttempts.charge(limits(2, 9), 60_000);
        await store.loginAttempts.charge(limits(2, 9), 60_000);
        await store.loginAttempts.refund(['ip:203.0.113.9', 'ip:203.0.113.9', 'ip:203.0.113.9']);
        await store.loginAttempts.refund(['ip:never-seen']);
        expect(await store.loginAttempts.charge(limits(2, 9), 60_000)).toEqual([]);
        expect(await store.loginAttempts.charge(limits(2, 9), 60_000)).toEqual([]);
        expect(await store.loginAttempts.charge(limits(2, 9), 60_000)).toEqual(['ip:203.0.113.9']);
        expect(
          await store.loginAttempts.charge([{ key: 'ip:never-seen', limit: 1 }], 60_000),
        ).toEqual([]);
      });

      it('forgets a window once it has passed', async () => {
        const key = [{ key: 'ip:198.51.100.1', limit: 1 }];
        expect(await store.loginAttempts.charge(key, 300)).toEqual([]);
        expect(await store.loginAttempts.charge(key, 300)).toEqual(['ip:198.51.100.1']);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(await store.loginAttempts.charge(key, 300)).toEqual([]);
      });

      it('counts one limit across clients, exactly, when they charge at once', async () => {
        const other = await harness.openSecondClient();
        others.push(other);
        const key = [{ key: 'user:bob', limit: 25 }];
        const results = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            (i % 2 ? other : store).loginAttempts.charge(key, 60_000),
          ),
        );
        expect(results.filter((full) => full.length === 0)).toHaveLength(25);
      });
    });

    describe('byte leases', () => {
      const TTL = 60_000;
      const byHolder = (holder: string, id: string, bytes: Record<string, number>) => ({
        ...report(id, bytes),
        reporter: holder,
      });
      beforeEach(async () => {
        await store.accounts.create(anAccount({ id: 'q', username: 'quota', quotaBytes: 1000 }));
        await store.accounts.create(anAccount({ id: 'u', username: 'unlimited' }));
      });

      it('grants what the quota leaves after the used bytes and the other holders', async () => {
        expect(await store.leases.acquire('q', 'gw-a', 600, TTL)).toMatchObject({
          remaining: 600,
          granted: 600,
          unlimited: false,
        });
        expect(await store.leases.acquire('q', 'gw-b', 600, TTL)).toMatchObject({
          remaining: 400,
          granted: 400,
        });
        expect(await store.leases.acquire('q', 'gw-a', 100, TTL)).toMatchObject({
          remaining: 600,
          granted: 0,
          quotaLeft: 1000,
        });
        const lease = await store.leases.acquire('q', 'gw-a', 0, TTL);
        expect(lease?.expiresAt).toBeGreaterThan(Date.now() + TTL / 2);
      });

      it('takes reported bytes out of the reporter’s lease, once, and gives a released one back', async () => {
        await store.leases.acquire('q', 'gw-a', 600, TTL);
        await store.leases.acquire('q', 'gw-b', 400, TTL);
        await store.usage.apply(byHolder('gw-a', 'rep-1', { q: 500 }));
        await store.usage.apply(byHolder('gw-a', 'rep-1', { q: 500 }));
        // used 500, gw-a holds 100 more, gw-b 400: nothing left, though the quota leaves 500.
        expect(await store.leases.acquire('q', 'gw-c', 50, TTL)).toMatchObject({
          granted: 0,
          quotaLeft: 500,
        });
        await store.leases.release('q', 'gw-b');
        expect(await store.leases.acquire('q', 'gw-c', 1000, TTL)).toMatchObject({
          granted: 400,
        });
        expect(await store.leases.acquire('q', 'gw-a', 0, TTL)).toMatchObject({ remaining: 100 });
      });

      it('lets a lapsed lease go back to the quota (a dead gateway’s)', async () => {
        await store.leases.acquire('q', 'gw-dead', 1000, 30);
        expect(await store.leases.acquire('q', 'gw-a', 10, TTL)).toMatchObject({ granted: 0 });
        await new Promise((resolve) => setTimeout(resolve, 80));
        expect(await store.leases.acquire('q', 'gw-a', 1000, TTL)).toMatchObject({
          granted: 1000,
        });
        // Once lapsed, its remainder is no longer its own either.
        expect(await store.leases.acquire('q', 'gw-dead', 0, TTL)).toMatchObject({
          remaining: 0,
        });
      });

      it('never grants past the quota to holders asking at once', async () => {
        const grants = await Promise.all(
          Array.from({ length: 30 }, (_, i) => store.leases.acquire('q', `gw-${i}`, 70, TTL)),
        );
        expect(grants.reduce((sum, lease) => sum + (lease?.granted ?? 0), 0)).toBe(1000);
      });

      it('grants what is asked of an account without quota, and nothing of an unknown one', async () => {
        expect(await store.leases.acquire('u', 'gw-a', 2 ** 30, TTL)).toMatchObject({
          granted: 2 ** 30,
          unlimited: true,
          quotaLeft: null,
        });
        expect(await store.leases.acquire('missing', 'gw-a', 10, TTL)).toBeUndefined();
      });

      it('refuses a lease of a negative, fractional or huge size, or a bad TTL', async () => {
        for (const [bytes, ttl] of [
          [-1, TTL],
          [1.5, TTL],
          [2 ** 30 + 1, TTL],
          [10, 0],
          [10, 7_200_000],
        ] as const)
          await expect(store.leases.acquire('q', 'gw-a', bytes, ttl)).rejects.toMatchObject({
            code: 'CORRUPT_RECORD',
          });
        expect(await store.leases.acquire('q', 'gw-a', 0, TTL)).toMatchObject({ remaining: 0 });
      });
    });

    describe('connection slots', () => {
      const TTL = 60_000;
      beforeEach(async () => {
        await store.accounts.create(anAccount({ id: 'l', username: 'limited', maxConnections: 3 }));
        await store.accounts.create(anAccount({ id: 'f', username: 'free' }));
      });

      it('holds what the limit leaves after the OpenVPN sessions and the other holders', async () => {
        expect(await store.slots.hold('l', 'gw-a', 2, 0, TTL)).toEqual({ held: 2, limit: 3 });
        expect(await store.slots.hold('l', 'gw-b', 2, 0, TTL)).toEqual({ held: 1, limit: 3 });
        // Asked again (a retry) it is the same; with an OpenVPN session, one fewer.
        expect(await store.slots.hold('l', 'gw-b', 2, 0, TTL)).toEqual({ held: 1, limit: 3 });
        expect(await store.slots.hold('l', 'gw-b', 2, 1, TTL)).toEqual({ held: 0, limit: 3 });
        expect(await store.slots.held('l')).toBe(2);
        // Given back: the other holder may have it.
        expect(await store.slots.hold('l', 'gw-a', 0, 0, TTL)).toEqual({ held: 0, limit: 3 });
        expect(await store.slots.hold('l', 'gw-b', 3, 0, TTL)).toEqual({ held: 3, limit: 3 });
      });

      it("frees a lapsed holder's slots (a dead gateway's)", async () => {
        await store.slots.hold('l', 'gw-dead', 3, 0, 30);
        expect(await store.slots.hold('l', 'gw-a', 1, 0, TTL)).toMatchObject({ held: 0 });
        await new Promise((resolve) => setTimeout(resolve, 80));
        expect(await store.slots.held('l')).toBe(0);
        expect(await store.slots.hold('l', 'gw-a', 1, 0, TTL)).toMatchObject({ held: 1 });
      });

      it('never holds past the limit for holders asking at once, holds all without one, and nothing of an unknown account', async () => {
        const holds = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.slots.hold('l', `gw-${i}`, 1, 0, TTL)),
        );
        expect(holds.reduce((sum, hold) => sum + (hold?.held ?? 0), 0)).toBe(3);
        expect(await store.slots.hold('f', 'gw-a', 500, 0, TTL)).toEqual({
          held: 500,
          limit: null,
        });
        expect(await store.slots.hold('missing', 'gw-a', 1, 0, TTL)).toBeUndefined();
        await expect(store.slots.hold('l', 'gw-a', -1, 0, TTL)).rejects.toMatchObject({
          code: 'CORRUPT_RECORD',
        });
      });
    });

    describe('usage reports', () => {
      beforeEach(async () => {
        await store.accounts.create(anAccount({ id: 'a1', username: 'alice' }));
        await store.accounts.create(anAccount({ id: 'a2', username: 'bob' }));
      });

      it('adds every entry and answers the totals', async () => {
        expect(await store.usage.apply(report('r1', { a1: 100, a2: 5 }))).toEqual({
          duplicate: false,
          totals: [
            { accountId: 'a1', usedBytes: 100 },
            { accountId: 'a2', usedBytes: 5 },
          ],
          unknownAccounts: [],
        });
        expect((await store.usage.apply(report('r2', { a1: 1 }))).totals).toEqual([
          { accountId: 'a1', usedBytes: 101 },
        ]);
        expect((await store.accounts.get('a1'))?.usedBytes).toBe(101);
      });

      it('applies a retried or replayed report once, and says so', async () => {
        await store.usage.apply(report('r1', { a1: 100 }));
        await store.usage.apply(report('r2', { a1: 10 }));
        // A late retry of r1, after r2: still nothing added, and the current total answered.
        expect(await store.usage.apply(report('r1', { a1: 100 }))).toEqual({
          duplicate: true,
          totals: [{ accountId: 'a1', usedBytes: 110 }],
          unknownAccounts: [],
        });
        expect((await store.accounts.get('a1'))?.usedBytes).toBe(110);
      });

      it('applies one report once when two clients send it at the same time', async () => {
        const other = await harness.openSecondClient();
        others.push(other);
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            Promise.all([
              store.usage.apply(report(`r${i}`, { a1: 1000 + i })),
              other.usage.apply(report(`r${i}`, { a1: 1000 + i })),
            ]),
          ),
        );
        // Every pair: exactly one of the two applied it.
        for (const pair of answers)
          expect(pair.map((a) => a.duplicate).sort()).toEqual([false, true]);
        expect((await other.accounts.get('a1'))?.usedBytes).toBe(50 * 1000 + (50 * 49) / 2);
      });

      it('loses no increment when two clients add at once', async () => {
        const other = await harness.openSecondClient();
        others.push(other);
        const rounds = 200;
        await Promise.all(
          Array.from({ length: rounds }, (_, i) =>
            Promise.all([
              store.usage.apply(report(`mine-${i}`, { a1: 1000 + i })),
              other.usage.apply(report(`theirs-${i}`, { a1: 7 })),
            ]),
          ),
        );
        const expected = rounds * 1000 + (rounds * (rounds - 1)) / 2 + rounds * 7;
        expect((await store.accounts.get('a1'))?.usedBytes).toBe(expected);
      });

      it('adds nothing for an unknown account, and names it', async () => {
        expect(await store.usage.apply(report('r1', { a1: 10, ghost: 99 }))).toEqual({
          duplicate: false,
          totals: [{ accountId: 'a1', usedBytes: 10 }],
          unknownAccounts: ['ghost'],
        });
      });

      it('refuses a whole report with a bad count, adding nothing', async () => {
        for (const bad of [-5, 1.5, Number.NaN])
          await expect(
            store.usage.apply(report(`bad-${bad}`, { a1: 10, a2: bad })),
          ).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
        expect((await store.accounts.get('a1'))?.usedBytes).toBe(0);
        // Refused is not applied: the same id may come again, corrected.
        expect((await store.usage.apply(report('bad--5', { a1: 10 }))).duplicate).toBe(false);
      });

      it('saturates a counter at MAX_BYTE_COUNT, so the account always decodes', async () => {
        const huge = Number.MAX_SAFE_INTEGER;
        await store.usage.apply(report('r1', { a1: huge }));
        expect((await store.usage.apply(report('r2', { a1: huge }))).totals).toEqual([
          { accountId: 'a1', usedBytes: MAX_BYTE_COUNT },
        ]);
        expect((await store.accounts.get('a1'))?.usedBytes).toBe(MAX_BYTE_COUNT);
        expect((await store.accounts.list({ limit: 10 })).items).toHaveLength(2);
      });
    });

    describe('change feed', () => {
      it('delivers create, update and delete in commit order to a watcher', async () => {
        const start = await store.changes.currentRevision();
        const seen = collect(store, start, 5);
        await store.devices.put(aDevice({ id: 'd1' }));
        await store.accounts.create(anAccount({ id: 'a1' }));
        await store.accounts.update('a1', { enabled: false });
        await store.sessions.create(aSession({ id: 's1' }));
        await store.accounts.delete('a1');
        const changes = await seen;
        expect(changes.map((c) => `${c.kind}:${c.op}:${c.id}`)).toEqual([
          'device:created:d1',
          'account:created:a1',
          'account:updated:a1',
          'session:created:s1',
          'account:deleted:a1',
        ]);
        expect(changes.map((c) => c.revision)).toEqual([1, 2, 3, 4, 5].map((n) => start + n));
        expect(changes[2]?.value).toMatchObject({ id: 'a1', enabled: false });
        expect(changes[4]?.value).toMatchObject({ id: 'a1', enabled: false });
        expect(await store.changes.currentRevision()).toBe(start + 5);
      });

      it('sends a watcher ahead of the store to a snapshot: the store was restored or came back empty', async () => {
        await store.devices.put(aDevice({ id: 'd1' }));
        await store.devices.update('d1', { status: 'offline' });
        const seen = await store.changes.currentRevision();
        // The same data, come back empty: a fresh store stands for it.
        const empty = await harness.open();
        others.push(empty);
        await expect(empty.changes.since(seen, 10)).rejects.toMatchObject({
          code: 'REVISION_COMPACTED',
          message: expect.stringContaining('ahead of the store'),
        });
        const ended = await new Promise<Error>((resolve) => {
          const watch = empty.changes.watch(seen, () => undefined, resolve);
          setTimeout(() => void watch.stop(), 5000).unref();
        });
        expect(isStoreError(ended, 'REVISION_COMPACTED')).toBe(true);
      });

      it('reads its epoch with the revision, one epoch while its data stays', async () => {
        const first = await store.changes.head();
        expect(first.epoch).toMatch(/\S/);
        await store.devices.put(aDevice({ id: 'd1' }));
        expect(await store.changes.head()).toEqual({
          epoch: first.epoch,
          revision: first.revision + 1,
        });
        expect(await store.changes.currentRevision()).toBe(first.revision + 1);
        expect(await store.changes.since(first.revision, 10, first.epoch)).toHaveLength(1);
      });

      it('sends a watcher of another epoch to a snapshot, even when the data is past its revision', async () => {
        await store.devices.put(aDevice({ id: 'd1' }));
        const held = await store.changes.head();
        // Other data (restored, flushed, failed over), written past the watcher's revision since.
        const replaced = await harness.open();
        others.push(replaced);
        for (let i = 0; i < 3; i++) await replaced.devices.put(aDevice({ id: `r${i}` }));
        // By revision alone, these would pass for the changes the watcher missed.
        expect(await replaced.changes.since(held.revision, 10)).toHaveLength(2);
        await expect(replaced.changes.since(held.revision, 10, held.epoch)).rejects.toMatchObject({
          code: 'REVISION_COMPACTED',
          message: expect.stringContaining('epoch'),
        });
        const ended = await new Promise<Error>((resolve) => {
          const watch = replaced.changes.watch(
            held.revision,
            () => resolve(new Error('a change of another epoch was delivered')),
            resolve,
            held.epoch,
          );
          setTimeout(() => void watch.stop(), 5000).unref();
        });
        expect(isStoreError(ended, 'REVISION_COMPACTED')).toBe(true);
      });

      it('resumes after a revision, replaying only what came after it', async () => {
        await store.devices.put(aDevice({ id: 'd1' }));
        const mark = await store.changes.currentRevision();
        await store.devices.update('d1', { status: 'offline' });
        await store.devices.delete('d1');
        const replay = await store.changes.since(mark, 100);
        expect(replay.map((c) => c.op)).toEqual(['updated', 'deleted']);
        expect(await collect(store, mark, 2)).toEqual(replay);
      });

      it('shows a writer in another client to a watcher', async () => {
        const other = await harness.openSecondClient();
        others.push(other);
        const start = await store.changes.currentRevision();
        const seen = collect(store, start, 1);
        await other.devices.put(aDevice({ id: 'remote' }));
        expect((await seen)[0]).toMatchObject({ kind: 'device', op: 'created', id: 'remote' });
      });

      it('records no change for a failed write', async () => {
        await store.accounts.create(anAccount({ id: 'a1', username: 'alice' }));
        const mark = await store.changes.currentRevision();
        const failure = await store.accounts
          .create(anAccount({ id: 'a2', username: 'alice' }))
          .catch((e: unknown) => e);
        expect(isStoreError(failure, 'CONFLICT')).toBe(true);
        expect(await store.changes.currentRevision()).toBe(mark);
        expect(await store.changes.since(mark, 10)).toEqual([]);
      });
    });
  });
}
