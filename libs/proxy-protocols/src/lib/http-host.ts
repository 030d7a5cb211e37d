import { validHostName, type PeekResult } from './peek-result';

/** A request head beyond this is not one we wait for. */
export const MAX_HTTP_HEAD_BYTES = 16 * 1024;
const METHOD = /^[A-Z]{3,10} /;

/**
 * The Host header of a plain HTTP request at the start of a connection (the transparent
 * listener's second look, after TLS). Reads only up to the end of the head; garbage yields
 * `other`, never an exception.
 */
export function peekHttpHost(data: Uint8Array): PeekResult {
  if (data.length === 0) return { status: 'incomplete' };
  const probe = latin1(data, 0, Math.min(data.length, 11));
  if (!METHOD.test(probe)) {
    return /^[A-Z]{0,10}$/.test(probe) && data.length < 11
      ? { status: 'incomplete' }
      : { status: 'other' };
  }
  const head = latin1(data, 0, Math.min(data.length, MAX_HTTP_HEAD_BYTES));
  const headEnd = head.indexOf('\r\n\r\n');
  const lines = (headEnd >= 0 ? head.slice(0, headEnd) : head).split('\r\n');
  for (const line of lines.slice(1, headEnd >= 0 ? undefined : -1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.slice(0, colon).trim().toLowerCase() !== 'host') continue;
    return { status: 'found', host: hostOnly(line.slice(colon + 1).trim()) };
  }
  if (headEnd >= 0 || data.length >= MAX_HTTP_HEAD_BYTES)
    return { status: 'found', host: undefined };
  return { status: 'incomplete' };
}

function latin1(data: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(data[i] as number);
  return text;
}

/** `example.com:8080` → `example.com`; an IP literal is no host name (the original IP serves). */
function hostOnly(value: string): string | undefined {
  if (value.startsWith('[')) return undefined;
  const name = value.replace(/:\d{1,5}$/, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return undefined;
  return validHostName(name);
}
