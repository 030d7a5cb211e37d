import type { Redis } from 'ioredis';
import type { Change } from '@tunnelgate/sessions';
import { StoreError } from '../store-error';
import { MUTATE_SCRIPT } from './mutate.lua';
import type { RedisKeys } from './redis-keys';

export type IndexOp =
  | { op: 'unique' | 'hset'; key: string; member: string; value: string }
  | { op: 'hdel' | 'sadd' | 'srem' | 'zrem'; key: string; member: string }
  | { op: 'zadd'; key: string; member: string; score: number | '$revision' }
  | { op: 'set'; key: string; value: string }
  | { op: 'del'; key: string };

export interface Mutation {
  key: string;
  /** undefined: the record must not exist yet; null: any current value. */
  expected: string | undefined | null;
  /** undefined deletes the record. */
  next: string | undefined;
  change: Omit<Change, 'revision'>;
  ops: IndexOp[];
}

export type MutationOutcome = 'ok' | 'exists' | 'stale' | 'unique-taken';

const STREAM_MAX_LENGTH = 100_000;
/** Optimistic updates retry this often against concurrent writers before giving up. */
const MAX_ATTEMPTS = 20;

function flatten(op: IndexOp): string[] {
  switch (op.op) {
    case 'unique':
    case 'hset':
      return [op.op, op.key, op.member, op.value];
    case 'hdel':
    case 'sadd':
    case 'srem':
    case 'zrem':
      return [op.op, op.key, op.member, ''];
    case 'zadd':
      return [op.op, op.key, op.member, String(op.score)];
    case 'set':
      return [op.op, op.key, '', op.value];
    case 'del':
      return [op.op, op.key, '', ''];
  }
}

type ScriptCommand = (...args: (string | number)[]) => Promise<number | null>;

/** Registers a script as an EVALSHA command (ioredis falls back to EVAL once per connection). */
export function defineScript(
  redis: Redis,
  name: string,
  numberOfKeys: number,
  lua: string,
): ScriptCommand {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, ScriptCommand>)[name];
  if (!command) throw new Error(`ioredis did not define ${name}`);
  return command.bind(redis);
}

export class RedisMutator {
  private readonly mutate: ScriptCommand;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.mutate = defineScript(redis, 'tunnelgateMutate', 3, MUTATE_SCRIPT);
  }

  async apply(mutation: Mutation): Promise<{ outcome: MutationOutcome; revision: number }> {
    const expected =
      mutation.expected === undefined ? '' : mutation.expected === null ? '*' : mutation.expected;
    const result = (await this.mutate(
      mutation.key,
      this.keys.revision(),
      this.keys.changes(),
      expected,
      mutation.next ?? '',
      mutation.change.kind,
      mutation.change.op,
      mutation.change.id,
      JSON.stringify(mutation.change.value),
      STREAM_MAX_LENGTH,
      this.keys.channel(),
      mutation.ops.length,
      ...mutation.ops.flatMap(flatten),
    )) as number;
    if (result === -1) return { outcome: 'exists', revision: 0 };
    if (result === -2) return { outcome: 'stale', revision: 0 };
    if (result === -3) return { outcome: 'unique-taken', revision: 0 };
    return { outcome: 'ok', revision: result };
  }

  /**
   * Read-modify-write with compare-and-set: `plan` sees the current document text and returns
   * the mutation (or a final result without writing); a concurrent writer makes us re-read.
   */
  async update<T>(
    key: string,
    plan: (current: string | null) => { mutation: Mutation; result: T } | { result: T },
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.redis.get(key);
      const step = plan(current);
      if (!('mutation' in step)) return step.result;
      const { outcome } = await this.apply(step.mutation);
      if (outcome === 'ok') return step.result;
      if (outcome === 'unique-taken')
        throw new StoreError(
          'CONFLICT',
          `${step.mutation.change.kind} ${step.mutation.change.id}: a unique field is taken`,
        );
      if (outcome === 'exists')
        throw new StoreError(
          'CONFLICT',
          `${step.mutation.change.kind} ${step.mutation.change.id} exists`,
        );
    }
    throw new StoreError(
      'UNAVAILABLE',
      `gave up updating ${key} after ${MAX_ATTEMPTS} concurrent writes`,
    );
  }
}
