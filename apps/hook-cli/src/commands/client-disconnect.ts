import { API_ROUTES, openvpnDisconnectResponseSchema } from '@tunnelgate/sessions';
import { writeHookLog } from '../hook-log';
import { parseDisconnectEnv } from '../openvpn/openvpn-env';
import { callApi, elapsed, type HookContext, type HookExit } from './hook-context';

/** How long a "tunnel-api did not answer" from another hook run shortens disconnects. */
const OUTAGE_WINDOW_MS = 30_000;
const OUTAGE_TIMEOUT_MS = 1000;

/**
 * client-disconnect: one attempt within the timeout (OpenVPN cannot defer this hook, so every
 * second here freezes all tunnels), cut to 1 s while tunnel-api is known to be down. A failure
 * exits 1 so it shows in OpenVPN's log; a session a lost disconnect left open is closed when
 * OpenVPN hands its VPN IP to the next client.
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
  const knownDown = ctx.outage.recentlyDown(OUTAGE_WINDOW_MS);
  const target = knownDown
    ? { ...ctx.api, timeoutMs: Math.min(ctx.api.timeoutMs, OUTAGE_TIMEOUT_MS) }
    : ctx.api;
  const outcome = await callApi(ctx, API_ROUTES.openvpnDisconnect, request, target);
  const answer =
    outcome.kind === 'ok' ? openvpnDisconnectResponseSchema.safeParse(outcome.body) : undefined;
  if (!answer?.success) {
    const reason =
      outcome.kind === 'ok'
        ? 'disconnect answer does not match the contract'
        : `${outcome.kind}: ${outcome.message}${knownDown ? ' (tunnel-api found unreachable by an earlier hook: short timeout)' : ''}`;
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
