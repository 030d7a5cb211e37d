import type * as z from 'zod/mini';
import { StoreError } from './store-error';

/**
 * Records are stored as JSON documents and checked against their schema both ways: nothing
 * invalid gets in, and a record another (older or newer) relay wrote is caught on read instead
 * of failing somewhere downstream.
 */
export function encodeRecord<S extends z.ZodMiniType>(
  schema: S,
  kind: string,
  value: unknown,
): string {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new StoreError('CORRUPT_RECORD', `refusing to store an invalid ${kind}: ${problems}`);
  }
  return JSON.stringify(result.data);
}

export function decodeRecord<S extends z.ZodMiniType>(
  schema: S,
  kind: string,
  json: string,
): z.output<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new StoreError('CORRUPT_RECORD', `stored ${kind} is not JSON`, { cause: error });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new StoreError(
      'CORRUPT_RECORD',
      `stored ${kind} does not match its schema: ${result.error.message}`,
    );
  }
  return result.data;
}
