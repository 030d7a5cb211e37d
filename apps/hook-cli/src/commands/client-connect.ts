import {
  API_ROUTES,
  openvpnConnectResponseSchema,
  type OpenvpnConnectResponse,
} from '@tunnelgate/sessions';
import type { ApiOutcome } from '@tunnelgate/api-client';
import { withAttempts } from '../api/with-attempts';
import { writeHookLog } from '../hook-log';
import { writeHookFile } from '../openvpn/hook-files';
import { parseConnectEnv } from '../openvpn/openvpn-env';
import { callApi, elapsed, type HookContext, type HookExit } from './hook-context';

/** The deferred-connect protocol: '2' = decision pending, then '1' admit / '0' reject. */
const DEFERRED = { pending: '2', admit: '1', reject: '0' } as const;

export function deferredConnectFile(ctx: HookContext): string | undefined {
  const file = ctx.env['client_connect_deferred_file'];
  if (ctx.config.deferred === 'off' || ctx.isDeferredWorker) return undefined;
  return file || undefined;
}

/** Marks the connect as deferred; the caller then starts the worker and exits 0. */
export function deferConnect(file: string): void {
  writeHookFile(file, DEFERRED.pending);
}

async function requestConnect(ctx: HookContext, body: unknown): Promise<ApiOutcome> {
  const outcome = await callApi(ctx, API_ROUTES.openvpnConnect, body);
  if (outcome.kind !== 'ok') return outcome;
  const parsed = openvpnConnectResponseSchema.safeParse(outcome.body);
  return parsed.success
    ? { ...outcome, body: parsed.data }
    : {
        kind: 'bad-response',
        status: outcome.status,
        message: 'connect answer does not match the contract',
      };
}

/**
 * client-connect: admit the client only once tunnel-api has stored its session and put its
 * REDIRECT rule in the kernel. Anything short of that rejects: a client admitted without its rule
 * would be "connected, no internet".
 */
export async function clientConnect(ctx: HookContext): Promise<HookExit> {
  const parsed = parseConnectEnv(ctx.env);
  const statusFile = ctx.isDeferredWorker ? ctx.env['client_connect_deferred_file'] : undefined;
  const reject = (reason: string, attempts: number, client?: string, vpnIp?: string): HookExit => {
    if (statusFile) writeHookFile(statusFile, DEFERRED.reject);
    writeHookLog({
      hook: 'client-connect',
      outcome: 'rejected',
      client,
      vpnIp,
      attempts,
      elapsedMs: elapsed(ctx),
      reason,
    });
    return 1;
  };
  if (!parsed.ok)
    return reject(
      `bad OpenVPN environment: ${parsed.problems.join('; ')}`,
      0,
      ctx.env['common_name'],
    );
  const request = parsed.value;
  const configFile = ctx.fileArgument || ctx.env['client_connect_config_file'];
  if (!configFile)
    return reject(
      'no dynamic config file ($1 or client_connect_config_file)',
      0,
      request.commonName,
    );

  const { outcome, attempts } = await withAttempts(ctx.config, () => requestConnect(ctx, request));
  if (outcome.kind !== 'ok') {
    const reason = `${outcome.kind}: ${outcome.message}${'code' in outcome && outcome.code ? ` (${outcome.code})` : ''}`;
    return reject(reason, attempts, request.commonName, request.vpnIp);
  }
  const answer = outcome.body as OpenvpnConnectResponse;
  try {
    // The config must be complete before the status says "admit": OpenVPN reads it right after.
    writeHookFile(configFile, answer.config.map((line) => `${line}\n`).join(''));
    if (statusFile) writeHookFile(statusFile, DEFERRED.admit);
  } catch (error) {
    return reject(
      `cannot write ${configFile}: ${(error as Error).message}`,
      attempts,
      request.commonName,
      request.vpnIp,
    );
  }
  writeHookLog({
    hook: 'client-connect',
    outcome: 'admitted',
    client: request.commonName,
    vpnIp: request.vpnIp,
    attempts,
    elapsedMs: elapsed(ctx),
    sessionId: answer.sessionId,
  });
  return 0;
}
