/**
 * The header that carries a request's id from a caller (the OpenVPN hook, a gateway) through
 * tunnel-api into every log line the request causes. tunnel-api answers with it too.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

const ACCEPTABLE = /^[A-Za-z0-9._:@-]{1,128}$/;

/** A caller's request id if it is one tunnel-api takes: short and plain, so that nothing can
 * be smuggled into a log line through it. */
export function acceptableRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && ACCEPTABLE.test(value) ? value : undefined;
}
