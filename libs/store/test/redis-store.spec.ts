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
  it('fails to open with UNAVAILABLE when no server answers', async () => {
    await expect(new RedisStore({ url: 'redis://127.0.0.1:1/0' }).open()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});
