import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { destinationPolicy } from '@tunnelgate/proxy-protocols';
import type { Dialer } from './dialer';
import { tcpConnect } from './tcp-connect';
import { UpstreamError } from './upstream-error';

/**
 * Straight out of this host (the simulated device, the demo). The policy is checked on the
 * address the name resolved to, inside the connect, so a DNS answer cannot point it at the
 * cluster, the metadata service or loopback.
 */
export function directDialer(allowed: readonly string[], timeoutMs: number): Dialer {
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
