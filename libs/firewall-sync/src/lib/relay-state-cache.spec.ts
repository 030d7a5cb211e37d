import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { aDevice, aSession } from '@tunnelgate/sessions/testing';
import { otherEpoch, SqliteStore } from '@tunnelgate/store';
import { waitFor } from '@tunnelgate/netns-testing';
import { RelayStateCache } from './relay-state-cache';

describe('RelayStateCache, on a real SQLite store', () => {
  let dir: string;
  let store: SqliteStore;
  let cache: RelayStateCache;
  let changes = 0;
  const warnings: object[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-state-cache-'));
    store = new SqliteStore({ path: join(dir, 'store.db') });
    await store.devices.put(aDevice({ id: 'd-online', vpnIp: '192.168.255.10' }));
    await store.devices.put(
      aDevice({ id: 'd-offline', vpnIp: '192.168.255.11', basePort: 20010, status: 'offline' }),
    );
    await store.sessions.create(aSession({ id: 's1', vpnIp: '10.9.0.2' }));
    changes = 0;
    cache = new RelayStateCache(store, () => changes++, { warn: (m) => warnings.push(m) });
    await cache.start();
  });

  afterEach(async () => {
    cache.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = () => ({
    sessions: cache.state().sessions.map((s) => s.id),
    devices: cache.state().devices.map((d) => d.id),
  });

  it('starts from a listing of active sessions and online devices', () => {
    expect(ids()).toEqual({ sessions: ['s1'], devices: ['d-online'] });
    expect(cache.state().sessions).toEqual([{ id: 's1', vpnIp: '10.9.0.2' }]);
  });

  it('follows the feed, and has a change stored before caughtUp() resolves', async () => {
    await store.sessions.create(aSession({ id: 's2', vpnIp: '10.9.0.3' }));
    await cache.caughtUp();
    expect(ids().sessions).toEqual(['s1', 's2']);
    await store.sessions.update('s1', {
      state: 'closed',
      closedAt: '2026-01-01T01:00:00.000Z',
      closeReason: 'disconnect',
    });
    await store.devices.update('d-offline', { status: 'online' });
    await store.devices.update('d-online', { status: 'offline' });
    await cache.caughtUp();
    expect(ids()).toEqual({ sessions: ['s2'], devices: ['d-offline'] });
    expect(changes).toBeGreaterThanOrEqual(4);
  });

  it('takes no heed of heartbeats, which are no change', async () => {
    const before = changes;
    await store.devices.touch('d-online', '2026-06-01T00:00:00.000Z');
    await cache.caughtUp();
    expect(changes).toBe(before);
  });

  it('lists again when the store went back in time (restored, or restarted empty)', async () => {
    // What a restore of an empty backup does to the file, behind the store's back.
    const raw = new Database(join(dir, 'store.db'));
    raw.exec(
      "DELETE FROM sessions; DELETE FROM changes; UPDATE sqlite_sequence SET seq = 0 WHERE name = 'changes';",
    );
    raw.close();
    await cache.verify();
    expect(ids().sessions).toEqual([]);
    expect(warnings).toEqual([
      expect.objectContaining({ message: expect.stringContaining('revision went back') }),
    ]);
    // And it follows the feed again from there.
    await store.sessions.create(aSession({ id: 's3', vpnIp: '10.9.0.4' }));
    await cache.caughtUp();
    expect(ids().sessions).toEqual(['s3']);
  });

  it('lists again when the store is of another epoch, even with its revision past ours', async () => {
    // A store whose data was replaced and written past our revision since: only the epoch
    // tells (Redis reports a new one after a flush, restart or failover; see the store tests).
    warnings.length = 0;
    let epoch = 'first';
    const replaced = Object.create(store.changes) as typeof store.changes;
    replaced.head = async () => ({ epoch, revision: await store.changes.currentRevision() });
    replaced.since = async (after, limit, held) => {
      if (held !== undefined && held !== epoch) throw otherEpoch(held, epoch);
      return store.changes.since(after, limit);
    };
    const view = { ...store, changes: replaced, sessions: store.sessions, devices: store.devices };
    const relisted: string[] = [];
    const watcher = new RelayStateCache(
      view as unknown as SqliteStore,
      (what) => what === 'all' && relisted.push(epoch),
      { warn: (m) => warnings.push(m) },
    );
    await watcher.start();
    // Found by the periodic look:
    await store.sessions.create(aSession({ id: 's2', vpnIp: '10.9.0.3' }));
    epoch = 'second';
    await watcher.verify();
    expect(warnings).toEqual([
      expect.objectContaining({ message: expect.stringContaining('another epoch') }),
    ]);
    // Found by a connect waiting for the feed:
    await store.sessions.create(aSession({ id: 's3', vpnIp: '10.9.0.4' }));
    epoch = 'third';
    await watcher.caughtUp();
    expect(watcher.state().sessions.map((s) => s.id)).toEqual(['s1', 's2', 's3']);
    expect(relisted).toEqual(['first', 'second', 'third']);
    watcher.stop();
  });

  it('keeps the client addresses with those touched since a sync took them', async () => {
    const clients = cache.syncState().clients;
    expect(clients.takeTouched()).toBeUndefined();
    await store.sessions.create(aSession({ id: 's2', vpnIp: '10.9.0.3' }));
    await store.sessions.update('s1', {
      state: 'closed',
      closedAt: '2026-01-01T01:00:00.000Z',
      closeReason: 'disconnect',
    });
    await cache.caughtUp();
    expect(clients.members).toEqual(new Set(['10.9.0.3']));
    expect(clients.takeTouched()).toEqual(new Set(['10.9.0.3', '10.9.0.2']));
  });

  it('waits for a store that cannot answer at start, refusing to give a state meanwhile', async () => {
    cache.stop();
    let down = true;
    // The store down at boot: its listing fails until it is back.
    const flaky = {
      ...store,
      changes: store.changes,
      devices: store.devices,
      sessions: {
        ...store.sessions,
        listActive: (...args: Parameters<typeof store.sessions.listActive>) =>
          down
            ? Promise.reject(new Error('store unavailable'))
            : store.sessions.listActive(...args),
      },
    } as unknown as SqliteStore;
    const waiting = new RelayStateCache(flaky, () => changes++, { warn: (m) => warnings.push(m) });
    await waiting.start();
    expect(() => waiting.state()).toThrow('not been listed');
    down = false;
    const listed = async () => {
      try {
        return waiting.state().sessions.length === 1;
      } catch {
        return false;
      }
    };
    await waitFor(listed, 'the listing once the store is back', 30);
    expect(waiting.state().sessions).toEqual([{ id: 's1', vpnIp: '10.9.0.2' }]);
    waiting.stop();
  });
});
