import type { LoggerService } from '@nestjs/common';
import { WinstonModule } from 'nest-winston';
import * as winston from 'winston';
import { currentRequestId } from './request-context';

export interface JsonLoggerOptions {
  /** Written as `app` on every line, so one log pipeline can hold all three apps. */
  app: string;
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Defaults to stdout; tests pass a stream to read the lines back. */
  stream?: NodeJS.WritableStream;
  /** More fields for every line (a cluster worker's index, so its lines can be told apart). */
  fields?: Record<string, string | number>;
}

/** Field names whose values never reach a log line, wherever they are nested. */
const SECRET_KEYS = new Set([
  'password',
  'passwordHash',
  'token',
  'authorization',
  'proxyCredentials',
]);

function redact(value: unknown, depth: number): unknown {
  if (depth > 4 || value === null || typeof value !== 'object' || value instanceof Error)
    return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      SECRET_KEYS.has(key) ? '[redacted]' : redact(inner, depth + 1),
    ]),
  );
}

const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    const record = info as Record<string, unknown>;
    record[key] = SECRET_KEYS.has(key) ? '[redacted]' : redact(record[key], 1);
  }
  return info;
});

/** The current request's id (request-context), on every line written while serving it. */
const stampRequestId = winston.format((info) => {
  const requestId = currentRequestId();
  if (requestId !== undefined) info['requestId'] ??= requestId;
  return info;
});

const stampTime = winston.format((info) => {
  info['time'] = new Date().toISOString();
  return info;
});

/** JSON lines with the same base fields in every app (`app`, `level`, `time`, `msg`, context). */
export function createWinstonLogger({
  app,
  level,
  stream,
  fields,
}: JsonLoggerOptions): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { app, ...fields },
    format: winston.format.combine(
      redactSecrets(),
      winston.format.errors({ stack: true }),
      stampTime(),
      stampRequestId(),
      winston.format.json(),
    ),
    transports: [
      stream
        ? new winston.transports.Stream({ stream })
        : new winston.transports.Console({ stderrLevels: [] }),
    ],
  });
}

/** The same logger as Nest's LoggerService, so framework and app lines look alike. */
export function createNestLogger(options: JsonLoggerOptions): LoggerService {
  return WinstonModule.createLogger({ instance: createWinstonLogger(options) });
}
