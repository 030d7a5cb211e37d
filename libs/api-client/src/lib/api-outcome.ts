/**
 * What one call to tunnel-api came to. Callers that decide by it (the hooks admit only on `ok`)
 * read it as it is; the typed client turns everything but `ok` into an error.
 */
export type ApiOutcome =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'rejected'; status: number; code?: string; message: string; body?: unknown }
  | { kind: 'server-error'; status: number; message: string; body?: unknown }
  | { kind: 'bad-response'; status: number; message: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'timeout'; message: string };

/** An answer tunnel-api gave on purpose (a 4xx with its error body), as opposed to an outage. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Field-level problems of a rejected body, `path: message`. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ApiRefusal';
  }
}

/** tunnel-api could not be asked, did not answer in time, failed, or answered off-contract. */
export class ApiUnavailable extends Error {
  constructor(readonly outcome: Exclude<ApiOutcome, { kind: 'ok' } | { kind: 'rejected' }>) {
    super(outcome.message);
    this.name = 'ApiUnavailable';
  }
}

/** The error a typed call throws for an outcome that is not `ok`. */
export function outcomeError(outcome: Exclude<ApiOutcome, { kind: 'ok' }>): Error {
  if (outcome.kind !== 'rejected') return new ApiUnavailable(outcome);
  const details = (outcome.body as { error?: { details?: unknown } } | undefined)?.error?.details;
  return new ApiRefusal(
    outcome.status,
    outcome.code ?? `HTTP_${outcome.status}`,
    outcome.message,
    Array.isArray(details) ? details.map(String) : [],
  );
}
