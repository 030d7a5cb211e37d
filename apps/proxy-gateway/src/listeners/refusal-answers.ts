import {
  SOCKS5_REPLY,
  socks5ReplyForError,
  type Socks5ReplyCode,
} from '@tunnelgate/proxy-protocols';
import type { RefusalKind } from '../access/gatekeeper';
import type { UpstreamError } from '../upstream/upstream-error';

/** The HTTP status a proxy client gets for each refusal. */
export const REFUSAL_STATUS: Record<RefusalKind, number> = {
  'credentials-required': 407,
  'wrong-password': 407,
  'rate-limited': 429,
  'not-allowed': 403,
  'over-quota': 403,
  'too-many-connections': 429,
  'no-session': 403,
  'device-unavailable': 503,
  unavailable: 503,
};

export const REFUSAL_SOCKS5: Record<RefusalKind, Socks5ReplyCode> = {
  'credentials-required': SOCKS5_REPLY.notAllowed,
  'wrong-password': SOCKS5_REPLY.notAllowed,
  'rate-limited': SOCKS5_REPLY.notAllowed,
  'not-allowed': SOCKS5_REPLY.notAllowed,
  'over-quota': SOCKS5_REPLY.notAllowed,
  'too-many-connections': SOCKS5_REPLY.notAllowed,
  'no-session': SOCKS5_REPLY.notAllowed,
  'device-unavailable': SOCKS5_REPLY.networkUnreachable,
  unavailable: SOCKS5_REPLY.generalFailure,
};

/** 504 when the destination did not answer in time, 403 when policy forbids it, 400 for a
 * destination that is no host name, else 502. */
export function upstreamStatus(error: UpstreamError): number {
  if (error.code === 'BAD_TARGET') return 400;
  if (error.code === 'ETIMEDOUT') return 504;
  if (error.code === 'FORBIDDEN') return 403;
  return 502;
}

export function upstreamSocks5(error: UpstreamError): Socks5ReplyCode {
  if (error.code === 'BAD_TARGET') return SOCKS5_REPLY.hostUnreachable;
  return error.code === 'FORBIDDEN' ? SOCKS5_REPLY.notAllowed : socks5ReplyForError(error.code);
}
