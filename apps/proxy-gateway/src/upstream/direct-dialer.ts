import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { destinationPolicy } from '@tunnelgate/proxy-protocols';
import type { Dialer, Target } from './dialer';
import { OwnBufferReader } from './own-buffer-reader';
import { tcpConnect } from './tcp-connect';
import type { TunnelDialer } from './tunnel-dialer';
import { UpstreamError } from './upstream-error';

/**
 * Straight out of this host (the simulated device, the demo). The policy is checked on the
 * address the name resolved to, inside the connect, so a DNS answer cannot point it at the
 * cluster, the metadata service or loopback.
 */
function directConnector(
  allowed: readonly string[],
  timeoutMs: number,
): (target: Target, reader?: OwnBufferReader) => Promise<Socket> {
  const refuse = destinationPolicy({ blocked: [], allowed });
  // Node asks for every address (`all`) when it races IPv4 and IPv6 (autoSelectFamily).
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const usable = addresses.filter((entry) => !refuse(entry.address));
      if (usable.length === 0) {
        const reason = refuse(addresses[0]?.address ?? '') ?? 'no address';
        return callback(new UpstreamError('FORBIDDEN', `${hostname}: ${reason}`), '', 0);
      }
      if (options.all) return (callback as (e: null, a: typeof usable) => void)(null, usable);
      callback(null, usable[0]?.address ?? '', usable[0]?.family ?? 4);
    });
  };
  return async (target, reader) => {
    if (isIP(target.host)) {
      const reason = refuse(target.host);
      if (reason) throw new UpstreamError('FORBIDDEN', reason);
    }
    return tcpConnect(target.host, target.port, timeoutMs, guardedLookup, reader);
  };
}

export function directDialer(allowed: readonly string[], timeoutMs: number): Dialer {
  const connect = directConnector(allowed, timeoutMs);
  return (target) => connect(target);
}

/** Tunnels straight out: nothing to prepare before the destination is known. */
export function directTunnelDialer(allowed: readonly string[], timeoutMs: number): TunnelDialer {
  const connect = directConnector(allowed, timeoutMs);
  return () => ({
    async open(target) {
      const reader = new OwnBufferReader();
      return { socket: await connect(target, reader), reader, headSent: false };
    },
    abandon: () => undefined,
  });
}
