import type { Socket } from 'node:net';
import { isValidTargetHost } from '@tunnelgate/proxy-protocols';
import type { Grant } from '../access/gatekeeper';
import { tunnelBudget } from '../control/byte-allowance';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { Target } from '../upstream/dialer';
import { OwnBufferReader } from '../upstream/own-buffer-reader';
import { UpstreamError, upstreamErrorFrom } from '../upstream/upstream-error';
import type { AcceptedClient } from './accept-client';
import { relayLegs } from './relay-legs';

export interface TunnelOptions {
  idleMs: number;
  /** Written to the client once the upstream is there (the CONNECT 200, the SOCKS5 success). */
  greeting?: (upstream: Socket) => Uint8Array | string;
  /** Bytes the client already sent (peeked or read past the handshake), for the upstream. */
  head?: Buffer;
}

/**
 * Dials the grant's upstream for `target` (a host name or IP literal, else refused) and joins
 * the two legs. Resolves with the error when
 * the upstream could not be had (the caller answers its client); a client gone meanwhile gets
 * its upstream closed at once, never leaked.
 */
export async function openTunnel(
  accepted: AcceptedClient,
  grant: Grant,
  target: Target,
  metrics: GatewayMetrics,
  options: TunnelOptions,
): Promise<UpstreamError | undefined> {
  const client = accepted.tunnel.client;
  if (!isValidTargetHost(target.host)) {
    metrics.errors.inc({ kind: 'bad_target' });
    accepted.outcome('bad-target');
    return new UpstreamError('BAD_TARGET', 'the destination is not a valid host name or address');
  }
  const stopTimer = metrics.upstreamConnect.startTimer({
    upstream: grant.deviceId ? 'device' : 'direct',
  });
  const reader = new OwnBufferReader();
  let upstream: Socket;
  try {
    upstream = await grant.dial(target, reader);
    stopTimer();
  } catch (error) {
    const failure = upstreamErrorFrom(error);
    metrics.errors.inc({ kind: `upstream_${failure.code}` });
    accepted.outcome(`upstream-failed`);
    return failure;
  }
  if (client.destroyed) {
    upstream.destroy();
    return undefined;
  }
  if (options.greeting) client.write(options.greeting(upstream));
  accepted.idleFromNowOn(options.idleMs);
  relayLegs(
    accepted.tunnel,
    upstream,
    reader,
    options.head,
    grant.budget && tunnelBudget(accepted.tunnel, grant.budget),
  );
  accepted.outcome('tunnel');
  return undefined;
}
