import * as ipaddr from 'ipaddr.js';

/** RFC 1928 §6 reply codes. */
export const SOCKS5_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type Socks5ReplyCode = (typeof SOCKS5_REPLY)[keyof typeof SOCKS5_REPLY];

/**
 * A complete reply (VER REP RSV ATYP BND.ADDR BND.PORT): clients that read a fixed 10 bytes hang
 * on the 2-byte failure replies some servers send.
 */
export function socks5Reply(
  code: Socks5ReplyCode,
  bound?: { address: string; port: number },
): Uint8Array {
  const address =
    bound && ipaddr.isValid(bound.address) ? ipaddr.process(bound.address) : undefined;
  const bytes = address ? address.toByteArray() : [0, 0, 0, 0];
  const port = bound?.port ?? 0;
  return Uint8Array.from([
    0x05,
    code,
    0x00,
    address?.kind() === 'ipv6' ? 0x04 : 0x01,
    ...bytes,
    (port >> 8) & 0xff,
    port & 0xff,
  ]);
}

/** The reply for an error of a failed upstream connect, by its Node error code. */
export function socks5ReplyForError(code: string | undefined): Socks5ReplyCode {
  switch (code) {
    case 'ECONNREFUSED':
      return SOCKS5_REPLY.connectionRefused;
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
      return SOCKS5_REPLY.hostUnreachable;
    case 'ENETUNREACH':
      return SOCKS5_REPLY.networkUnreachable;
    case 'EACCES':
      return SOCKS5_REPLY.notAllowed;
    case 'ENOTSUP':
      return SOCKS5_REPLY.commandNotSupported;
    default:
      return SOCKS5_REPLY.generalFailure;
  }
}
