import type { PipeTransform } from '@nestjs/common';
import type * as z from 'zod/mini';
import { ApiError } from './api-error';

/** Validates a body, query or param against a contract schema: 400 naming each bad field. */
export class ZodValidationPipe<S extends z.ZodMiniType> implements PipeTransform<
  unknown,
  z.output<S>
> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const details = result.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
      return `${path}: ${issue.message}`;
    });
    throw new ApiError('VALIDATION_FAILED', `invalid request: ${details.join('; ')}`, details);
  }
}
