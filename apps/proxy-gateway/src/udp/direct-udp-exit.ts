import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { destinationPolicy, socks5DatagramFrom } from '@tunnelgate/proxy-protocols';
import * as ipaddr from 'ipaddr.js';
import type { UdpExit, UdpExitFactory } from './udp-exit';

/** Peers an association may hear from (those it sent to), bounded: a client spraying the
 * internet must not grow the gateway without limit. */
const MAX_PEERS = 1024;
/** Destinations (addresses and names) whose checked address an association remembers. */
const MAX_NAMES = 256;

/**
 * Straight out of this host (the simulated device): each datagram to the address its name
 * resolves to, through the same destination policy as the TCP direct dialer, checked after
 * resolution. Answers are taken only from the address and port a datagram went to (no open
 * inbound path through the gateway) and wrapped in the SOCKS5 header naming their sender.
 */
export function directUdpExit(allowed: readonly string[]): UdpExitFactory {
  const refuse = destinationPolicy({ blocked: [], allowed });
  return async (handlers) => {
    const peers = new Set<string>();
    const names = new Map<string, string>();
    const sockets = new Map<4 | 6, DatagramSocket>();
    let closed = false;
    const socketFor = (family: 4 | 6): DatagramSocket => {
      let socket = sockets.get(family);
      if (!socket) {
        socket = createSocket(family === 4 ? 'udp4' : 'udp6');
        // Send errors (an ICMP unreachable on some kernels) lose that datagram, as UDP does.
        socket.on('error', () => undefined);
        socket.on('message', (message, from) => {
          if (peers.has(`${from.address}|${from.port}`))
            handlers.deliver(socks5DatagramFrom(from, message));
        });
        sockets.set(family, socket);
      }
      return socket;
    };
    // Per datagram: a destination seen before (address or name) costs one map lookup, not a
    // parse and a policy check each time.
    const resolve = async (host: string): Promise<string | undefined> => {
      const known = names.get(host);
      if (known) return known;
      // One spelling per address (IPv4-mapped as IPv4), so answers match the peer they went to.
      const usable = isIP(host)
        ? refuse(host)
          ? undefined
          : ipaddr.process(host).toString()
        : (await lookup(host, { all: true }).catch(() => [])).find(
            (entry) => !refuse(entry.address),
          )?.address;
      if (usable && names.size < MAX_NAMES) names.set(host, usable);
      return usable;
    };
    const exit: UdpExit = {
      send(_packet, datagram) {
        void resolve(datagram.host).then((address) => {
          if (closed) return;
          if (!address) return handlers.dropped('destination refused or unresolvable');
          const peer = `${address}|${datagram.port}`;
          if (!peers.has(peer) && peers.size >= MAX_PEERS)
            return handlers.dropped('too many peers on one association');
          peers.add(peer);
          socketFor(isIP(address) === 6 ? 6 : 4).send(datagram.payload, datagram.port, address);
        });
      },
      close() {
        closed = true;
        for (const socket of sockets.values()) socket.close();
        sockets.clear();
      },
    };
    return exit;
  };
}
