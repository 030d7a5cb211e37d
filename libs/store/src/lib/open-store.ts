import { RedisStore } from './redis/redis-store';
import { SqliteStore } from './sqlite/sqlite-store';
import type { Store } from './store';

/**
 * Opens the store a `TUNNELGATE_STORE` URL names: `sqlite:<path>` or `redis://host:port/db`.
 * `exclusive`: this process is the SQLite file's one writer (see SqliteStoreOptions).
 */
export async function openStore(url: string, now?: () => Date, exclusive = false): Promise<Store> {
  if (url.startsWith('sqlite:'))
    return new SqliteStore({ path: url.slice('sqlite:'.length), now, exclusive });
  if (url.startsWith('redis://') || url.startsWith('rediss://'))
    return new RedisStore({ url, now }).open();
  throw new Error(`unsupported store URL "${url}": use sqlite:<path> or redis://host:port/db`);
}
