import { request as httpRequest, type IncomingMessage } from 'node:http';
import { REQUEST_ID_HEADER } from '@tunnelgate/sessions';
import { PROCESS_REQUEST_ID } from './request-id';

/** What one call to tunnel-api came to. Only `ok` admits anyone. */
export type ApiOutcome =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'rejected'; status: number; code?: string; message: string }
  | { kind: 'server-error'; status: number; message: string }
  | { kind: 'bad-response'; status: number; message: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'timeout'; message: string };

export interface ApiTarget {
  baseUrl: string;
  token: string | undefined;
  timeoutMs: number;
}

/** An answer larger than this is not tunnel-api's. */
const MAX_RESPONSE_BYTES = 256 * 1024;

function errorOf(body: unknown): { code?: string; message?: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : undefined,
    message: typeof error?.message === 'string' ? error.message : undefined,
  };
}

function classify(res: IncomingMessage, text: string): ApiOutcome {
  const status = res.statusCode ?? 0;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const sample = JSON.stringify(text.slice(0, 80));
    if (status >= 500)
      return { kind: 'server-error', status, message: `HTTP ${status}: ${sample}` };
    return {
      kind: 'bad-response',
      status,
      message: `HTTP ${status} with a body that is not JSON: ${sample}`,
    };
  }
  const { code, message } = errorOf(body);
  if (status >= 200 && status < 300) return { kind: 'ok', status, body };
  if (status >= 500) return { kind: 'server-error', status, message: message ?? `HTTP ${status}` };
  if (status >= 400)
    return { kind: 'rejected', status, code, message: message ?? `HTTP ${status}` };
  return { kind: 'bad-response', status, message: `unexpected HTTP ${status}` };
}

/**
 * POSTs JSON with a hard deadline for the whole exchange (connect, send, answer), not an idle
 * timeout: a tunnel-api that trickles bytes must not hold OpenVPN longer than `timeoutMs`.
 * node:http rather than fetch: fetch loads undici lazily, ~200 ms of a hook's start-up.
 */
export function postJson(
  target: ApiTarget,
  path: string,
  payload: unknown,
  requestId = PROCESS_REQUEST_ID,
): Promise<ApiOutcome> {
  return requestJson(target, 'POST', path, payload, requestId);
}

/** A GET with the same deadline and answer handling as postJson. */
export function getJson(
  target: ApiTarget,
  path: string,
  requestId = PROCESS_REQUEST_ID,
): Promise<ApiOutcome> {
  return requestJson(target, 'GET', path, undefined, requestId);
}

async function requestJson(
  target: ApiTarget,
  method: 'GET' | 'POST',
  path: string,
  payload: unknown,
  requestId: string,
): Promise<ApiOutcome> {
  const url = new URL(path, `${target.baseUrl}/`);
  const body = payload === undefined ? '' : JSON.stringify(payload);
  // TLS is loaded only when asked for: it adds ~5 ms to every start of a hook that talks plain
  // HTTP to tunnel-api on loopback.
  const send = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ApiOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      resolve(outcome);
    };
    const req = send(
      url,
      {
        method,
        agent: false,
        headers: {
          ...(method === 'POST' && { 'content-type': 'application/json' }),
          'content-length': Buffer.byteLength(body),
          [REQUEST_ID_HEADER]: requestId,
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            finish({
              kind: 'bad-response',
              status: res.statusCode ?? 0,
              message: 'answer too large',
            });
          } else chunks.push(chunk);
        });
        res.on('end', () => finish(classify(res, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', (error) => finish({ kind: 'unreachable', message: error.message }));
        res.on('aborted', () =>
          finish({
            kind: 'bad-response',
            status: res.statusCode ?? 0,
            message: 'answer cut short',
          }),
        );
      },
    );
    const deadline = setTimeout(
      () =>
        finish({ kind: 'timeout', message: `no complete answer within ${target.timeoutMs} ms` }),
      target.timeoutMs,
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ kind: 'unreachable', message: `${error.code ?? ''} ${error.message}`.trim() }),
    );
    req.end(body);
  });
}
