import { randomUUID } from 'node:crypto';
import type { Change } from '@tunnelgate/sessions';
import { runWatch } from '../change-watch';
import type { ChangeFeed, ChangeListener, FeedHead, Watch } from '../store';
import { aheadOfStore, otherEpoch, StoreError } from '../store-error';
import type { SqliteContext } from './sqlite-context';

interface ChangeRow {
  revision: number;
  kind: Change['kind'];
  op: Change['op'];
  id: string;
  value: string;
}

/** Another process writing the same file cannot wake us; this bounds how late we see it. */
const POLL_MS = 1000;

export class SqliteChanges implements ChangeFeed {
  /**
   * A new epoch each time the file is opened: one process serves it (an exclusive lock), and
   * between two opens the file may have been replaced by a backup, so watchers of the last
   * process take a snapshot rather than trust their revision.
   */
  private readonly epoch = randomUUID();
  private readonly after;
  private readonly oldest;
  private readonly newest;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.after = db.prepare<[number, number], ChangeRow>(
      'SELECT revision, kind, op, id, value FROM changes WHERE revision > ? ORDER BY revision LIMIT ?',
    );
    this.oldest = db.prepare<[], { revision: number | null }>(
      'SELECT MIN(revision) AS revision FROM changes',
    );
    this.newest = db.prepare<[], { seq: number }>(
      `SELECT seq FROM sqlite_sequence WHERE name = 'changes'`,
    );
  }

  async currentRevision(): Promise<number> {
    return this.newest.get()?.seq ?? 0;
  }

  async head(): Promise<FeedHead> {
    return { epoch: this.epoch, revision: await this.currentRevision() };
  }

  async since(after: number, limit: number, epoch?: string): Promise<Change[]> {
    if (epoch !== undefined && epoch !== this.epoch) throw otherEpoch(epoch, this.epoch);
    const head = await this.currentRevision();
    if (after > head) throw aheadOfStore(after, head);
    const oldest = this.oldest.get()?.revision ?? null;
    if (oldest !== null && after < oldest - 1) {
      throw new StoreError(
        'REVISION_COMPACTED',
        `changes after ${after} were trimmed (oldest kept: ${oldest})`,
      );
    }
    // Rows were validated on the way in, inside the same transaction as the record they describe.
    return this.after.all(after, limit).map(
      (row) =>
        ({
          revision: row.revision,
          kind: row.kind,
          op: row.op,
          id: row.id,
          value: JSON.parse(row.value),
        }) as Change,
    );
  }

  watch(
    after: number,
    onChange: ChangeListener,
    onError: (error: Error) => void,
    epoch?: string,
  ): Watch {
    return runWatch(
      {
        since: (from, limit, at) => this.since(from, limit, at),
        waitForChange: (from, signal) => this.ctx.notifier.wait(from, signal, POLL_MS),
      },
      after,
      onChange,
      onError,
      epoch,
    );
  }
}
