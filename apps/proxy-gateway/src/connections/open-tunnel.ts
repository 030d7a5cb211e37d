import type { Socket } from 'node:net';
import { isValidTargetHost } from '@tunnelgate/proxy-protocols';
import type { Grant } from '../access/gatekeeper';
import { tunnelBudget } from '../control/byte-allowance';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { Target } from '../upstream/dialer';
import type { Dialed, PreparedUpstream } from '../upstream/tunnel-dialer';
import { UpstreamError, upstreamErrorFrom } from '../upstream/upstream-error';
import type { AcceptedClient } from './accept-client';
import { relayLegs } from './relay-legs';

export interface TunnelOptions {
  idleMs: number;
  /** Written to the client once the upstream is there (the CONNECT 200, the SOCKS5 success). */
  greeting?: (upstream: Socket) => Uint8Array | string;
  /** Bytes the client already sent (peeked or read past the handshake), for the upstream. */
  head?: Buffer;
  /** The upstream connection the listener began before it knew the target (else one now). */
  prepared?: PreparedUpstream;
  /**
   * Answers the client before the upstream does (once the target is known to be valid) and
   * resolves with the client's first bytes, which then go with the request: instead of
   * `greeting` and `head`.
   */
  answerEarly?: () => Promise<Buffer | undefined>;
}

/**
 * Dials the grant's upstream for `target` (a host name or IP literal, else refused), with the
 * client's first bytes behind the request when the dialer pipelines, and joins the two legs.
 * Resolves with the error when the upstream could not be had (the caller answers its client); a
 * client gone meanwhile gets its upstream closed at once, never leaked.
 */
export async function openTunnel(
  accepted: AcceptedClient,
  grant: Grant,
  target: Target,
  metrics: GatewayMetrics,
  options: TunnelOptions,
): Promise<UpstreamError | undefined> {
  const client = accepted.tunnel.client;
  accepted.tunnel.target = target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
  if (!isValidTargetHost(target.host)) {
    options.prepared?.abandon();
    metrics.errors.inc({ kind: 'bad_target' });
    accepted.outcome('bad-target');
    return new UpstreamError('BAD_TARGET', 'the destination is not a valid host name or address');
  }
  const stopTimer = metrics.upstreamConnect.startTimer({
    upstream: grant.deviceId ? 'device' : 'direct',
  });
  const budget = grant.budget && tunnelBudget(accepted.tunnel, grant.budget);
  const head = options.answerEarly ? await options.answerEarly() : options.head;
  if (client.destroyed) {
    options.prepared?.abandon();
    return undefined;
  }
  // A metered account's first bytes go with the request only if its lease covers them now.
  const pipelined = head && head.length > 0 && (!budget || budget.takeWhole(head.length));
  let dialed: Dialed;
  try {
    dialed = await (options.prepared ?? grant.tunnel()).open(target, pipelined ? head : undefined);
    const seconds = stopTimer();
    if (grant.deviceId) metrics.devices.connected(grant.deviceId, seconds);
  } catch (error) {
    // The device refused the stream: the bytes sent with the request went nowhere.
    if (pipelined && budget) budget.delivered(0, head.length);
    const failure = upstreamErrorFrom(error);
    metrics.errors.inc({ kind: `upstream_${failure.code}` });
    if (grant.deviceId) metrics.devices.failed(grant.deviceId, failure.code);
    accepted.outcome('upstream-failed', failure.code);
    return failure;
  }
  const { socket: upstream, reader } = dialed;
  if (client.destroyed) {
    upstream.destroy();
    return undefined;
  }
  if (options.greeting) client.write(options.greeting(upstream));
  accepted.idleFromNowOn(options.idleMs);
  // Taken from the budget above but not sent with the request: relayed first, not taken again.
  const rest = dialed.headSent ? undefined : head;
  if (pipelined && rest) upstream.write(rest);
  relayLegs(accepted.tunnel, upstream, reader, pipelined ? undefined : rest, budget);
  accepted.outcome('tunnel');
  return undefined;
}
