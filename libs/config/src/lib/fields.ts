import * as z from 'zod/mini';

/** `host:port` or `[v6]:port`, as an operator writes a listen or connect address. */
export interface HostPort {
  host: string;
  port: number;
}

export function hostPortField(defaultValue: string) {
  return z.pipe(
    z._default(z.string(), defaultValue),
    z.transform((text, ctx): HostPort => {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
      const port = match ? Number(match[3]) : NaN;
      if (!match || port > 65535) {
        ctx.issues.push({
          code: 'custom',
          message: `expected host:port, got "${text}"`,
          input: text,
        });
        return z.NEVER;
      }
      return { host: match[1] ?? match[2] ?? '', port };
    }),
  );
}

export function intField(defaultValue: number, min: number, max: number) {
  return z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), defaultValue);
}

export function urlField(defaultValue: string, protocols: readonly string[]) {
  return z._default(z.url({ protocol: new RegExp(`^(${protocols.join('|')})$`) }), defaultValue);
}

export function enumField<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
) {
  return z._default(z.enum(values), defaultValue as never);
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function logLevelField() {
  return enumField(LOG_LEVELS, 'info');
}

/** A file path; a secret's location travels in config, never the secret (/proc shows env and argv). */
export function pathField() {
  return z.optional(z.string().check(z.minLength(1)));
}

/** A listen address, or `off` for a listener the deployment does not want. */
export function listenField(defaultValue: string) {
  return z.pipe(
    z._default(z.string(), defaultValue),
    z.transform((text, ctx): HostPort | undefined => {
      if (text === 'off') return undefined;
      const parsed = hostPortField(defaultValue).safeParse(text);
      if (parsed.success) return parsed.data;
      ctx.issues.push({
        code: 'custom',
        message: `expected host:port or off, got "${text}"`,
        input: text,
      });
      return z.NEVER;
    }),
  );
}

/** Comma-separated CIDRs (`10.0.0.0/8,2001:db8::/32`); empty means none. */
export function cidrListField(defaultValue = '') {
  return z.pipe(
    z._default(z.string(), defaultValue),
    z.transform((text, ctx): string[] => {
      const cidrs = text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      const bad = cidrs.filter(
        (cidr) => !z.cidrv4().safeParse(cidr).success && !z.cidrv6().safeParse(cidr).success,
      );
      if (bad.length === 0) return cidrs;
      ctx.issues.push({ code: 'custom', message: `not a CIDR: ${bad.join(', ')}`, input: text });
      return z.NEVER;
    }),
  );
}

/** An inclusive port range. */
export interface PortRange {
  from: number;
  to: number;
}

/** `from-to` (inclusive), or `ephemeral` for ports the kernel picks (undefined). */
export function portRangeField(defaultValue: string) {
  return z.pipe(
    z._default(z.string(), defaultValue),
    z.transform((text, ctx): PortRange | undefined => {
      if (text === 'ephemeral') return undefined;
      const match = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
      const [from, to] = [Number(match?.[1]), Number(match?.[2])];
      if (match && from >= 1 && from <= to && to <= 65535) return { from, to };
      ctx.issues.push({
        code: 'custom',
        message: `expected from-to (1-65535, from <= to) or ephemeral, got "${text}"`,
        input: text,
      });
      return z.NEVER;
    }),
  );
}

/** Comma-separated ports and inclusive `from-to` ranges (`1194,3128,8080-8081`). */
export function portListField(defaultValue: string) {
  return z.pipe(
    z._default(z.string(), defaultValue),
    z.transform((text, ctx): PortRange[] => {
      const ranges: PortRange[] = [];
      const bad: string[] = [];
      for (const part of text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
        const from = Number(match?.[1]);
        const to = Number(match?.[2] ?? match?.[1]);
        if (match && from >= 1 && from <= to && to <= 65535) ranges.push({ from, to });
        else bad.push(part);
      }
      if (bad.length === 0) return ranges;
      ctx.issues.push({
        code: 'custom',
        message: `expected ports or from-to ranges (1-65535), comma-separated; bad: ${bad.join(', ')}`,
        input: text,
      });
      return z.NEVER;
    }),
  );
}

/** Ports as `portListField` takes them, or `all`. */
export function portListOrAllField(defaultValue: string) {
  return z.pipe(
    z._default(z.string(), defaultValue),
    z.transform((text, ctx): PortRange[] | 'all' => {
      if (text.trim() === 'all') return 'all';
      const parsed = portListField(defaultValue).safeParse(text);
      if (parsed.success) return parsed.data;
      ctx.issues.push({
        code: 'custom',
        message: `expected all, or ports or from-to ranges (1-65535), comma-separated; got "${text}"`,
        input: text,
      });
      return z.NEVER;
    }),
  );
}

export function inPortRanges(port: number, ranges: readonly PortRange[]): boolean {
  return ranges.some((range) => port >= range.from && port <= range.to);
}
