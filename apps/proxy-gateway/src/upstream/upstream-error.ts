/**
 * Why an upstream could not be reached, as a Node-style code the listeners map to their reply:
 * ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENOTFOUND…, FORBIDDEN (the destination policy),
 * PROXY_REFUSED (the device's proxy said no), PROXY_PROTOCOL (it answered nonsense).
 */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function upstreamErrorFrom(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as NodeJS.ErrnoException)?.code ?? 'EUPSTREAM';
  return new UpstreamError(code, (error as Error)?.message ?? String(error));
}
