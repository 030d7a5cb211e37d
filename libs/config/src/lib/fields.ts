import { z } from 'zod';

/** `host:port` or `[v6]:port`, as an operator writes a listen or connect address. */
export interface HostPort {
  host: string;
  port: number;
}

export function hostPortField(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx): HostPort => {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
      const port = match ? Number(match[3]) : NaN;
      if (!match || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected host:port, got "${text}"` });
        return z.NEVER;
      }
      return { host: match[1] ?? match[2] ?? '', port };
    });
}

export function portField(defaultValue: number) {
  return z.coerce.number().int().min(0).max(65535).default(defaultValue);
}

export function intField(defaultValue: number, min: number, max: number) {
  return z.coerce.number().int().min(min).max(max).default(defaultValue);
}

export function urlField(defaultValue: string, protocols: readonly string[]) {
  return z
    .string()
    .default(defaultValue)
    .pipe(z.url({ protocol: new RegExp(`^(${protocols.join('|')})$`) }));
}

export function enumField<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
) {
  return z.enum(values).default(defaultValue);
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function logLevelField() {
  return enumField(LOG_LEVELS, 'info');
}

/** Path of a file holding a secret: secrets never travel as env values or argv (/proc shows
 * both), only their location does. */
export function secretFileField() {
  return z.string().min(1).optional();
}
