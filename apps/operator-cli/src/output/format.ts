import bytes from 'bytes';

export function formatBytes(value: number | null, none = 'unlimited'): string {
  return value === null ? none : (bytes.format(value, { unitSeparator: ' ' }) ?? String(value));
}

/** `10GB`, `512MB` or a plain count of bytes (units are binary: 1KB = 1024 bytes, as `bytes` reads them). */
export function parseBytes(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : bytes.parse(text);
  if (value === null || !Number.isSafeInteger(value) || value < 0)
    throw new UsageError(`"${text}" is not a size: write bytes or e.g. 512MB, 10GB`);
  return value;
}

export function parseInteger(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${name}: "${text}" is not a whole number`);
  return Number(text);
}

export function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** The command line itself is wrong: exit 2, with what to write instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}
