import { Redis } from 'ioredis';
import { aDevice } from '@tunnelgate/sessions/testing';
import { RedisStore } from '../src';
import { startRedisServer, type RedisServer } from './redis-server';
import { describeStoreContract } from './store-contract';

let server: RedisServer;
let counter = 0;
let prefix = '';

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

describeStoreContract('Redis', {
  // A fresh key prefix per test isolates tests on one server without a FLUSHALL.
  open: async () => {
    prefix = `t${++counter}:`;
    return new RedisStore({ url: server.url, keyPrefix: prefix }).open();
  },
  openSecondClient: async () => new RedisStore({ url: server.url, keyPrefix: prefix }).open(),
});

describe('Redis store', () => {
  it('has one epoch for every client of the data, and another once the data is flushed or the server restarted', async () => {
    const own = await startRedisServer();
    const stores: RedisStore[] = [];
    const open = async () => {
      const store = await new RedisStore({ url: own.url, keyPrefix: 'ep:' }).open();
      stores.push(store);
      return store;
    };
    try {
      const a = await open();
      const b = await open();
      await a.devices.put(aDevice({ id: 'd1' }));
      const first = await a.changes.head();
      expect(await b.changes.head()).toEqual(first);
      // FLUSHALL takes the generation key with the data: the next reader makes another.
      const flusher = new Redis(own.url);
      await flusher.flushall();
      flusher.disconnect();
      for (let i = 0; i < 3; i++) await b.devices.put(aDevice({ id: `r${i}` }));
      const flushed = await a.changes.head();
      expect(flushed.revision).toBeGreaterThan(first.revision);
      expect(flushed.epoch).not.toBe(first.epoch);
      expect(await b.changes.head()).toEqual(flushed);
      // A server restarted from an older dump brings the old generation key back; its run_id
      // is new, and so is the epoch.
      await own.restart();
      const [generation] = flushed.epoch.split('.');
      const raw = new Redis(own.url);
      await raw.set('ep:epoch', generation ?? '');
      raw.disconnect();
      const restarted = await a.changes.head();
      expect(restarted.epoch.startsWith(`${generation}.`)).toBe(true);
      expect(restarted.epoch).not.toBe(flushed.epoch);
    } finally {
      for (const store of stores) await store.close();
      await own.stop();
    }
  });

  it('fails to open with UNAVAILABLE when no server answers', async () => {
    await expect(new RedisStore({ url: 'redis://127.0.0.1:1/0' }).open()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});
