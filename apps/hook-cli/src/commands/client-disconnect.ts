import { API_ROUTES, openvpnDisconnectResponseSchema } from '@tunnelgate/sessions';
import { postJson } from '../api/api-client';
import { writeHookLog } from '../hook-log';
import { parseDisconnectEnv } from '../openvpn/openvpn-env';
import { elapsed, type HookContext, type HookExit } from './hook-context';

/**
 * client-disconnect: one attempt within the timeout (OpenVPN cannot defer this hook, so every
 * second here freezes all tunnels). A failure exits 1 so it shows in OpenVPN's log; tunnel-api's
 * periodic reconcile closes what a lost disconnect left open.
 */
export async function clientDisconnect(ctx: HookContext): Promise<HookExit> {
  const parsed = parseDisconnectEnv(ctx.env);
  if (!parsed.ok) {
    const reason = `bad OpenVPN environment: ${parsed.problems.join('; ')}`;
    writeHookLog({
      hook: 'client-disconnect',
      outcome: 'failed',
      client: ctx.env['common_name'],
      elapsedMs: elapsed(ctx),
      reason,
    });
    return 1;
  }
  const request = parsed.value;
  const outcome = await postJson(ctx.api, API_ROUTES.openvpnDisconnect, request);
  const answer =
    outcome.kind === 'ok' ? openvpnDisconnectResponseSchema.safeParse(outcome.body) : undefined;
  if (!answer?.success) {
    const reason =
      outcome.kind === 'ok'
        ? 'disconnect answer does not match the contract'
        : `${outcome.kind}: ${outcome.message}`;
    writeHookLog({
      hook: 'client-disconnect',
      outcome: 'failed',
      client: request.commonName,
      vpnIp: request.vpnIp,
      attempts: 1,
      elapsedMs: elapsed(ctx),
      reason,
    });
    return 1;
  }
  writeHookLog({
    hook: 'client-disconnect',
    outcome: 'closed',
    client: request.commonName,
    vpnIp: request.vpnIp,
    attempts: 1,
    elapsedMs: elapsed(ctx),
    reason: answer.data.closed ? undefined : 'no such active session (already closed)',
    sessionId: answer.data.session?.id,
  });
  return 0;
}
