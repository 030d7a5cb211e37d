import { randomUUID } from 'node:crypto';
import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { ApiErrorBody, ApiErrorCode } from '@tunnelgate/sessions';
import { isStoreError, isStoreUnavailable, type StoreErrorCode } from '@tunnelgate/store';
import type { FastifyReply } from 'fastify';
import { ApiError, STATUS_BY_CODE } from './api-error';

const STORE_CODES: Partial<Record<StoreErrorCode, ApiErrorCode>> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  REVISION_COMPACTED: 'REVISION_COMPACTED',
  UNAVAILABLE: 'STORE_UNAVAILABLE',
};

const CODE_BY_HTTP_STATUS: Record<number, ApiErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
};

/**
 * Every error leaves as `{ error: { code, message, details?, errorId? } }`. Unknown errors are
 * 500 with an errorId; their stack goes to the log only, never to the client.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, body] = this.toBody(exception);
    void reply.status(status).send(body);
  }

  private toBody(exception: unknown): [number, ApiErrorBody] {
    if (exception instanceof ApiError) {
      const { code, message, details } = exception;
      return [
        exception.status ?? STATUS_BY_CODE[code],
        { error: { code, message, ...(details ? { details } : {}) } },
      ];
    }
    if (isStoreError(exception)) {
      const code = STORE_CODES[exception.code];
      if (code) return [STATUS_BY_CODE[code], { error: { code, message: exception.message } }];
    }
    if (isStoreUnavailable(exception)) {
      this.logger.warn({ message: 'store unavailable', error: (exception as Error).message });
      return [
        STATUS_BY_CODE.STORE_UNAVAILABLE,
        { error: { code: 'STORE_UNAVAILABLE', message: 'the store cannot answer now; retry' } },
      ];
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      const code = CODE_BY_HTTP_STATUS[status] ?? 'VALIDATION_FAILED';
      return [status, { error: { code, message: exception.message } }];
    }
    const errorId = randomUUID();
    this.logger.error({
      message: 'unhandled error',
      errorId,
      error: String((exception as Error)?.stack ?? exception),
    });
    return [500, { error: { code: 'INTERNAL', message: 'internal error; see the log', errorId } }];
  }
}
