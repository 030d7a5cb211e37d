import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, SqliteStore } from '../src';
import { aDevice } from '@tunnelgate/sessions/testing';
import { describeStoreContract } from './store-contract';

let dir: string;
let counter = 0;
let currentPath = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunnelgate-sqlite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract('SQLite', {
  open: async () => {
    currentPath = join(dir, `store-${++counter}.db`);
    return new SqliteStore({ path: currentPath });
  },
  openSecondClient: async () => new SqliteStore({ path: currentPath }),
});

describe('SQLite store on disk', () => {
  it('keeps its records across a reopen', async () => {
    const path = join(dir, 'reopen.db');
    const first = new SqliteStore({ path });
    await first.devices.put(aDevice({ id: 'd1' }));
    await first.close();
    const second = new SqliteStore({ path });
    expect((await second.devices.get('d1'))?.vpnIp).toBe('192.168.255.10');
    expect(await second.changes.currentRevision()).toBe(1);
    await second.close();
  });

  it('starts a new epoch at every open: the file may have been replaced by a backup meanwhile', async () => {
    const path = join(dir, 'epochs.db');
    const first = new SqliteStore({ path });
    await first.devices.put(aDevice({ id: 'd1' }));
    const before = await first.changes.head();
    await first.close();
    const second = new SqliteStore({ path });
    const after = await second.changes.head();
    expect(after.revision).toBe(before.revision);
    expect(after.epoch).not.toBe(before.epoch);
    await expect(second.changes.since(before.revision, 10, before.epoch)).rejects.toMatchObject({
      code: 'REVISION_COMPACTED',
    });
    await second.close();
  });

  it('refuses a database written by a newer schema, with a message saying what to do', () => {
    const path = join(dir, 'newer.db');
    void new SqliteStore({ path }).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => new SqliteStore({ path })).toThrow(
      expect.objectContaining({
        code: 'SCHEMA_TOO_NEW',
        message: expect.stringMatching(/newer .*Upgrade tunnelgate/),
      }),
    );
  });

  it('creates the directory of its file', async () => {
    const store = new SqliteStore({ path: join(dir, 'nested', 'deeper', 'x.db') });
    await store.ping();
    await store.close();
  });
});
