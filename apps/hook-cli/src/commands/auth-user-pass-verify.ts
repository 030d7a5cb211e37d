import {
  API_ROUTES,
  openvpnAuthRequestSchema,
  openvpnAuthResponseSchema,
} from '@tunnelgate/sessions';
import type { ApiOutcome } from '@tunnelgate/api-client';
import { withAttempts } from '../api/with-attempts';
import { writeHookLog } from '../hook-log';
import { readCredentialsFile, writeHookFile } from '../openvpn/hook-files';
import { callApi, elapsed, type HookContext, type HookExit } from './hook-context';

export interface Credentials {
  username: string;
  password: string;
}

/** via-file (`$1` holds two lines) or via-env (`username` and `password`). */
export function readCredentials(ctx: HookContext): Credentials | undefined {
  if (ctx.fileArgument) {
    try {
      return readCredentialsFile(ctx.fileArgument);
    } catch {
      return undefined;
    }
  }
  const username = ctx.env['username'];
  const password = ctx.env['password'];
  return username && password ? { username, password } : undefined;
}

export function deferredAuthFile(ctx: HookContext): string | undefined {
  if (ctx.config.deferred === 'off' || ctx.isDeferredWorker) return undefined;
  return ctx.env['auth_control_file'] || undefined;
}

async function requestAuth(ctx: HookContext, body: unknown): Promise<ApiOutcome> {
  const outcome = await callApi(ctx, API_ROUTES.openvpnAuth, body);
  if (outcome.kind !== 'ok' || openvpnAuthResponseSchema.safeParse(outcome.body).success)
    return outcome;
  return {
    kind: 'bad-response',
    status: outcome.status,
    message: 'auth answer does not match the contract',
  };
}

/**
 * What the customer's client shows. A definitive rejection says why; an outage says TEMP, which
 * tells the client to retry later instead of giving up on its credentials.
 */
function clientReason(outcome: ApiOutcome): string {
  if (outcome.kind === 'rejected') return outcome.message;
  return 'TEMP[backoff 10]: the relay cannot check credentials right now';
}

/** auth-user-pass-verify: exit 0 accepts, 1 rejects (with the reason for the client), 2 defers. */
export async function authUserPassVerify(
  ctx: HookContext,
  credentials: Credentials | undefined,
): Promise<HookExit> {
  const controlFile = ctx.isDeferredWorker ? ctx.env['auth_control_file'] : undefined;
  const reasonFile = ctx.env['auth_failed_reason_file'];
  const finish = (
    accepted: boolean,
    reason: string | undefined,
    attempts: number,
    client: string | undefined,
  ): HookExit => {
    try {
      // The reason must be in place before the control file announces the verdict.
      if (!accepted && reason && reasonFile) writeHookFile(reasonFile, reason);
      if (controlFile) writeHookFile(controlFile, accepted ? '1' : '0');
    } catch (error) {
      reason = `${reason ?? ''} (and cannot write OpenVPN's files: ${(error as Error).message})`;
      accepted = false;
    }
    writeHookLog({
      hook: 'auth-user-pass-verify',
      outcome: accepted ? 'accepted' : 'rejected',
      client,
      attempts,
      elapsedMs: elapsed(ctx),
      reason,
    });
    return accepted ? 0 : 1;
  };

  if (!credentials)
    return finish(false, 'no username and password were given', 0, ctx.env['username']);
  const request = openvpnAuthRequestSchema.safeParse({
    username: credentials.username,
    password: credentials.password,
    realIp: ctx.env['untrusted_ip'] || ctx.env['untrusted_ip6'],
  });
  if (!request.success) {
    const fields = request.error.issues.map((i) => String(i.path[0])).join(', ');
    return finish(false, `malformed ${fields}`, 0, credentials.username);
  }
  const { outcome, attempts } = await withAttempts(ctx.config, () =>
    requestAuth(ctx, request.data),
  );
  if (outcome.kind === 'ok') return finish(true, undefined, attempts, credentials.username);
  return finish(false, clientReason(outcome), attempts, credentials.username);
}
