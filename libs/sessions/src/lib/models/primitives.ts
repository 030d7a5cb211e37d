import * as z from 'zod/mini';

/** Ids are chosen by the platform (or generated here) and end up in iptables comments and
 * log lines, so they are restricted to characters that need no quoting anywhere. */
export const idSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
      'must be 1-64 of A-Z a-z 0-9 _ . - and start alphanumeric',
    ),
  );

/** OpenVPN passes the username through its environment and our logs; control characters and
 * spaces there only ever mean trouble. */
export const usernameSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$/,
      'must be 1-128 of A-Z a-z 0-9 _ . @ + - and start alphanumeric',
    ),
  );

export const ipv4Schema = z.ipv4();
export const ipv6Schema = z.ipv6();
export const ipSchema = z.union([z.ipv4(), z.ipv6()]);
export const cidrSchema = z.union([z.cidrv4(), z.cidrv6()]);
export const portSchema = z.int().check(z.minimum(1), z.maximum(65535));

/**
 * The largest byte count a record holds (4 PiB): counters saturate here, well inside Number's
 * exact range, so no sum of reports can make a record that no longer decodes.
 */
export const MAX_BYTE_COUNT = 2 ** 52;
/** Byte counts: integers from 0 to MAX_BYTE_COUNT. */
export const byteCountSchema = z.int().check(z.minimum(0), z.maximum(MAX_BYTE_COUNT));
/**
 * The most one usage report may add for one account (1 TiB): gateways report every few seconds,
 * so a bigger figure is a bug or a lie, never traffic.
 */
export const MAX_REPORTED_BYTES = 2 ** 40;
export const reportedBytesSchema = z.int().check(z.minimum(0), z.maximum(MAX_REPORTED_BYTES));

/** Instants travel as ISO 8601 UTC strings: readable in JSON, in logs and in the store. */
export const timestampSchema = z.iso.datetime({ offset: false });

export type Timestamp = z.infer<typeof timestampSchema>;

export function boundedString(min: number, max: number) {
  return z.string().check(z.minLength(min), z.maxLength(max));
}
