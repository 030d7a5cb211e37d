import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { REQUEST_ID_HEADER } from '@tunnelgate/sessions';
import type { ApiOutcome } from './api-outcome';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Where tunnel-api is and how to talk to it. */
export interface ApiTarget {
  baseUrl: string;
  token: string | undefined;
  /** A deadline for the whole exchange (connect, send, answer), not an idle timeout. */
  timeoutMs: number;
  /** Sent as `x-request-id` when a call names none. */
  requestId?: string;
  /** Keep-alive connections for callers that call often; none (one connection per call) by default. */
  agent?: Agent;
  /** An answer larger than this is not tunnel-api's (default 256 KiB). */
  maxResponseBytes?: number;
}

export interface ApiCall {
  method: ApiMethod;
  path: string;
  body?: unknown;
  requestId?: string;
  /** `text` keeps a 2xx body as it came (profiles, metrics); errors are JSON either way. */
  accept?: 'json' | 'text';
}

const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

function errorOf(body: unknown): { code?: string; message?: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : undefined,
    message: typeof error?.message === 'string' ? error.message : undefined,
  };
}

function classify(res: IncomingMessage, text: string, accept: 'json' | 'text'): ApiOutcome {
  const status = res.statusCode ?? 0;
  if (accept === 'text' && status >= 200 && status < 300) return { kind: 'ok', status, body: text };
  if (status === 204 && text === '') return { kind: 'ok', status, body: undefined };
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
  if (status >= 500)
    return { kind: 'server-error', status, message: message ?? `HTTP ${status}`, body };
  if (status >= 400)
    return { kind: 'rejected', status, code, message: message ?? `HTTP ${status}`, body };
  return { kind: 'bad-response', status, message: `unexpected HTTP ${status}` };
}

/**
 * One call to tunnel-api, never thrown: every way it can go is an outcome. node:http rather than
 * fetch: fetch loads undici lazily, ~200 ms of a hook's start-up.
 */
export async function requestApi(target: ApiTarget, call: ApiCall): Promise<ApiOutcome> {
  const url = new URL(call.path, `${target.baseUrl}/`);
  const body = call.body === undefined ? '' : JSON.stringify(call.body);
  const limit = target.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const requestId = call.requestId ?? target.requestId;
  // TLS is loaded only when asked for: it adds ~5 ms to every start of a hook that talks plain
  // HTTP to tunnel-api on loopback.
  const send = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    // A complete answer leaves the connection to the agent's keep-alive; anything else ends it.
    const finish = (outcome: ApiOutcome, complete = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (!complete) req.destroy();
      resolve(outcome);
    };
    const req = send(
      url,
      {
        method: call.method,
        agent: target.agent ?? false,
        headers: {
          ...(call.body !== undefined && { 'content-type': 'application/json' }),
          'content-length': Buffer.byteLength(body),
          ...(requestId && { [REQUEST_ID_HEADER]: requestId }),
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            finish({
              kind: 'bad-response',
              status: res.statusCode ?? 0,
              message: 'answer too large',
            });
          } else chunks.push(chunk);
        });
        res.on('end', () =>
          finish(
            classify(res, Buffer.concat(chunks).toString('utf8'), call.accept ?? 'json'),
            true,
          ),
        );
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

/** A POST of JSON, as the hooks make them. */
export function postJson(
  target: ApiTarget,
  path: string,
  body: unknown,
  requestId?: string,
): Promise<ApiOutcome> {
  return requestApi(target, { method: 'POST', path, body, requestId });
}

export function getJson(target: ApiTarget, path: string, requestId?: string): Promise<ApiOutcome> {
  return requestApi(target, { method: 'GET', path, requestId });
}
