import { ApiRefusal, ApiUnavailable } from '@tunnelgate/api-client';
import type { CliConfig } from './cli-config';

const LIST_COMMAND: Record<string, string> = {
  account: 'accounts list',
  device: 'devices list',
  session: 'sessions list',
};

function errorIdOf(body: unknown): string | undefined {
  const id = (body as { error?: { errorId?: unknown } } | undefined)?.error?.errorId;
  return typeof id === 'string' ? id : undefined;
}

function explainRefusal(error: ApiRefusal, config: CliConfig): string {
  switch (error.status) {
    case 401:
      return `tunnel-api refused the token in ${config.tokenFile}: use the operators' token (the api-token file tunnel-api wrote at its first start, or one of its TUNNELGATE_API_TOKEN_FILE), not the gateways' or the hooks'; set --token-file or TUNNELGATE_API_TOKEN_FILE`;
    case 403:
      return `this token may not do that (${error.message}): operator commands need the operators' token`;
    case 400:
      return [
        `tunnel-api refused the request: ${error.message}`,
        ...error.details.map((d) => `  - ${d}`),
      ].join('\n');
    case 404: {
      const kind = /^no (\w+)/.exec(error.message)?.[1] ?? '';
      const list = LIST_COMMAND[kind];
      return `${error.message}${list ? ` (tunnelgate ${list} shows what there is)` : ''}`;
    }
    default:
      return `tunnel-api refused (${error.status} ${error.code}): ${error.message}`;
  }
}

/** What went wrong, and what to change: the CLI's errors are read by people at a prompt. */
export function explainError(error: unknown, config: CliConfig): string {
  if (error instanceof ApiRefusal) return explainRefusal(error, config);
  if (error instanceof ApiUnavailable) {
    const { outcome } = error;
    switch (outcome.kind) {
      case 'unreachable':
        return `cannot reach tunnel-api at ${config.apiUrl} (${outcome.message}): is it running? Point --api-url or TUNNELGATE_API_URL at it`;
      case 'timeout':
        return `tunnel-api at ${config.apiUrl} gave no answer within ${config.timeoutMs} ms (TUNNELGATE_CLI_TIMEOUT_MS): is it overloaded, or is that address something else?`;
      case 'server-error': {
        const id = errorIdOf(outcome.body);
        return `tunnel-api failed (HTTP ${outcome.status}): ${outcome.message}${id ? `; its log has the details under errorId ${id}` : ''}`;
      }
      default:
        return `${config.apiUrl} did not answer as tunnel-api does (${outcome.message}): is --api-url right?`;
    }
  }
  return (error as Error).message ?? String(error);
}
