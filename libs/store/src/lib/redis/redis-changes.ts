import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Change } from '@tunnelgate/sessions';
import { ChangeNotifier } from '../change-notifier';
import { runWatch } from '../change-watch';
import type { ChangeFeed, ChangeListener, FeedHead, Watch } from '../store';
import { aheadOfStore, otherEpoch, StoreError } from '../store-error';
import type { RedisKeys } from './redis-keys';

/** A missed pub/sub message (reconnect) delays a watcher by at most this much. */
const POLL_MS = 1000;

type StreamEntry = [id: string, fields: string[]];

function toChange([id, fields]: StreamEntry): Change {
  const field = (name: string) => fields[fields.indexOf(name) + 1] ?? '';
  return {
    revision: Number(id.split('-')[0]),
    kind: field('kind'),
    op: field('op'),
    id: field('id'),
    value: JSON.parse(field('value')),
  } as Change;
}

export class RedisChanges implements ChangeFeed {
  private readonly notifier = new ChangeNotifier();
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async currentRevision(): Promise<number> {
    return Number((await this.redis.get(this.keys.revision())) ?? 0);
  }

  /**
   * The epoch is the data's generation key (created by whoever finds it missing: a flush or an
   * empty restart removed it) joined with the server's run_id (new at every start of the Redis
   * process, and on the replica a failover promotes), so a restore from an older dump, which
   * brings the old key back, still reads as another epoch. Read in one transaction with the
   * revision.
   */
  async head(): Promise<FeedHead> {
    const [revision, key, info] = await this.readHead();
    const generation = key ?? (await this.createGeneration());
    const runId = /^run_id:(\w+)/m.exec(info)?.[1] ?? 'unknown';
    return { epoch: `${generation}.${runId}`, revision: Number(revision ?? 0) };
  }

  private async readHead(): Promise<[string | null, string | null, string]> {
    const results = await this.redis
      .multi()
      .get(this.keys.revision())
      .get(this.keys.epoch())
      .info('server')
      .exec();
    if (!results) throw new StoreError('UNAVAILABLE', 'the head transaction was discarded');
    for (const [error] of results) if (error) throw error;
    return results.map(([, value]) => value) as [string | null, string | null, string];
  }

  private async createGeneration(): Promise<string> {
    await this.redis.set(this.keys.epoch(), randomUUID(), 'NX');
    const key = await this.redis.get(this.keys.epoch());
    if (key === null) throw new StoreError('UNAVAILABLE', 'the epoch key vanished as it was made');
    return key;
  }

  async since(after: number, limit: number, epoch?: string): Promise<Change[]> {
    // The head is read before the range: every change up to it had committed, so if the range
    // then misses any of them they were trimmed. (Read after, a write in between looks like a gap.)
    let head: number;
    if (epoch === undefined) head = await this.currentRevision();
    else {
      const current = await this.head();
      if (current.epoch !== epoch) throw otherEpoch(epoch, current.epoch);
      head = current.revision;
    }
    if (after > head) throw aheadOfStore(after, head);
    const entries = (await this.redis.xrange(
      this.keys.changes(),
      `(${after}-0`,
      '+',
      'COUNT',
      limit,
    )) as StreamEntry[];
    const changes = entries.map(toChange);
    // Revisions have no gaps, so a gap after `after` means the stream was trimmed past it.
    const first = changes[0]?.revision;
    const gap = first !== undefined ? first > after + 1 : head > after;
    if (gap) throw new StoreError('REVISION_COMPACTED', `changes after ${after} were trimmed`);
    return changes;
  }

  watch(
    after: number,
    onChange: ChangeListener,
    onError: (error: Error) => void,
    epoch?: string,
  ): Watch {
    this.ensureSubscribed();
    return runWatch(
      {
        since: (from, limit, at) => this.since(from, limit, at),
        waitForChange: (from, signal) => this.notifier.wait(from, signal, POLL_MS),
      },
      after,
      onChange,
      onError,
      epoch,
    );
  }

  private ensureSubscribed(): void {
    if (this.subscriber) return;
    // A subscribed connection can issue nothing else, hence a second one.
    const subscriber = this.redis.duplicate();
    subscriber.on('message', (_channel: string, message: string) =>
      this.notifier.notify(Number(message)),
    );
    // Errors surface through the main connection's calls; the poll covers the gap meanwhile.
    subscriber.on('error', () => undefined);
    subscriber.subscribe(this.keys.channel()).catch(() => undefined);
    this.subscriber = subscriber;
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
