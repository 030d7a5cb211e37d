import type { ApiOutcome } from '@tunnelgate/api-client';

export interface AttemptPolicy {
  attempts: number;
  retryDelayMs: number;
}

export interface AttemptsResult {
  outcome: ApiOutcome;
  attempts: number;
}

/**
 * Whether another attempt can change the answer. Network failures, timeouts, 5xx (503 is also
 * "device offline": it may be back a second later) and mangled answers may; a 4xx is tunnel-api's
 * considered answer about this client (unknown, disabled, wrong password) and will not change.
 */
export function isRetryable(outcome: ApiOutcome): boolean {
  switch (outcome.kind) {
    case 'unreachable':
    case 'timeout':
    case 'server-error':
    case 'bad-response':
      return true;
    case 'ok':
    case 'rejected':
      return false;
  }
}

export async function withAttempts(
  policy: AttemptPolicy,
  call: () => Promise<ApiOutcome>,
): Promise<AttemptsResult> {
  let outcome = await call();
  let attempts = 1;
  while (attempts < policy.attempts && isRetryable(outcome)) {
    await new Promise((resolve) => setTimeout(resolve, policy.retryDelayMs));
    outcome = await call();
    attempts++;
  }
  return { outcome, attempts };
}
