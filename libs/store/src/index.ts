export * from './lib/store';
export * from './lib/store-error';
export * from './lib/open-store';
export { SqliteStore, type SqliteStoreOptions } from './lib/sqlite/sqlite-store';
export { SCHEMA_VERSION } from './lib/sqlite/migrations';
export { RedisStore, type RedisStoreOptions } from './lib/redis/redis-store';
