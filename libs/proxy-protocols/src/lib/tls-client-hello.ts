import { validHostName, type PeekResult } from './peek-result';

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0x00;
/** A ClientHello beyond this is not one we wait for (post-quantum hellos are ~1.6–4 KB). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

/**
 * Joins the handshake bytes carried by consecutive TLS records (a ClientHello may be split over
 * several records as well as several TCP segments). Undefined when a record is not a handshake.
 */
function handshakeBytes(data: Uint8Array): { bytes: Uint8Array; complete: boolean } | undefined {
  const parts: Uint8Array[] = [];
  let offset = 0;
  let total = 0;
  let needed = Infinity;
  while (offset + 5 <= data.length && total < needed) {
    if (data[offset] !== RECORD_HANDSHAKE || data[offset + 1] !== 0x03) return undefined;
    const length = ((data[offset + 3] ?? 0) << 8) | (data[offset + 4] ?? 0);
    if (length === 0) return undefined;
    const fragment = data.subarray(offset + 5, Math.min(offset + 5 + length, data.length));
    parts.push(fragment);
    total += fragment.length;
    if (needed === Infinity && total >= 4) {
      const head = parts.length === 1 ? fragment : concat(parts);
      needed = 4 + (((head[1] ?? 0) << 16) | ((head[2] ?? 0) << 8) | (head[3] ?? 0));
    }
    if (fragment.length < length) break;
    offset += 5 + length;
  }
  const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
  return { bytes, complete: total >= needed };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The SNI host name of a TLS ClientHello at the start of a connection. Hand-written: it runs on
 * every transparent connection and no parser library reads a partial hello without copying it.
 * Garbage yields `other` or `found` without a host, never an exception.
 */
export function peekClientHelloSni(data: Uint8Array): PeekResult {
  if (data.length === 0) return { status: 'incomplete' };
  if (data[0] !== RECORD_HANDSHAKE) return { status: 'other' };
  if (data.length >= 2 && data[1] !== 0x03) return { status: 'other' };
  if (data.length < 5) return { status: 'incomplete' };
  const handshake = handshakeBytes(data);
  if (!handshake) return { status: 'other' };
  const hello = handshake.bytes;
  if (hello.length >= 1 && hello[0] !== HANDSHAKE_CLIENT_HELLO) return { status: 'other' };
  if (!handshake.complete) {
    return data.length > MAX_CLIENT_HELLO_BYTES
      ? { status: 'found', host: undefined }
      : { status: 'incomplete' };
  }
  return { status: 'found', host: serverName(hello) };
}

/** Walks a complete ClientHello to its server_name extension; undefined when absent or bad. */
function serverName(hello: Uint8Array): string | undefined {
  const end = Math.min(
    hello.length,
    4 + (((hello[1] ?? 0) << 16) | ((hello[2] ?? 0) << 8) | (hello[3] ?? 0)),
  );
  const u8 = (at: number) => (at < end ? (hello[at] as number) : -1);
  const u16 = (at: number) =>
    at + 1 < end ? ((hello[at] as number) << 8) | (hello[at + 1] as number) : -1;
  let at = 4 + 2 + 32; // header, legacy_version, random
  const sessionId = u8(at);
  if (sessionId < 0) return undefined;
  at += 1 + sessionId;
  const cipherSuites = u16(at);
  if (cipherSuites < 0) return undefined;
  at += 2 + cipherSuites;
  const compression = u8(at);
  if (compression < 0) return undefined;
  at += 1 + compression;
  const extensionsLength = u16(at);
  if (extensionsLength < 0) return undefined;
  at += 2;
  const extensionsEnd = Math.min(end, at + extensionsLength);
  while (at + 4 <= extensionsEnd) {
    const type = u16(at);
    const length = u16(at + 2);
    at += 4;
    if (type === EXTENSION_SERVER_NAME)
      return hostFromServerNameList(hello, at, Math.min(at + length, extensionsEnd));
    at += length;
  }
  return undefined;
}

function hostFromServerNameList(hello: Uint8Array, start: number, end: number): string | undefined {
  let at = start + 2; // server_name_list length
  while (at + 3 <= end) {
    const nameType = hello[at] as number;
    const length = ((hello[at + 1] as number) << 8) | (hello[at + 2] as number);
    at += 3;
    if (at + length > end) return undefined;
    if (nameType === NAME_TYPE_HOST) {
      let name = '';
      for (let i = at; i < at + length; i++) name += String.fromCharCode(hello[i] as number);
      return validHostName(name);
    }
    at += length;
  }
  return undefined;
}
