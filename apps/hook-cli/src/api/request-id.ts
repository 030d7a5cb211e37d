/**
 * The id this hook process gives its calls to tunnel-api (the `x-request-id` header) and writes
 * on its log lines, so that one OpenVPN event can be followed from OpenVPN's log into
 * tunnel-api's. pid and start time rather than random bytes: unique on a host, and free at
 * start-up.
 */
export const PROCESS_REQUEST_ID = `hook-${process.pid}-${Date.now().toString(36)}`;

/** The management client's id for one client event (the manager serves many in one process). */
export function clientEventRequestId(cid: number | string, kid: number | string): string {
  return `${PROCESS_REQUEST_ID}-c${cid}-k${kid}`;
}
