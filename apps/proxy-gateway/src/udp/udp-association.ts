import {
  parseSocks5Datagram,
  SOCKS5_REPLY,
  socks5Reply,
  type Socks5ReplyCode,
} from '@tunnelgate/proxy-protocols';
import * as ipaddr from 'ipaddr.js';
import type { AcceptedClient } from '../connections/accept-client';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { upstreamErrorFrom } from '../upstream/upstream-error';
import { upstreamSocks5 } from '../listeners/refusal-answers';
import type { Target } from '../upstream/dialer';
import type { UdpExit, UdpExitFactory } from './udp-exit';
import type { UdpPortPool } from './udp-port-pool';
import { tunnelBudget, type ByteBudget } from '../control/byte-allowance';

const plain = (ip: string) => (ipaddr.isValid(ip) ? ipaddr.process(ip).toString() : ip);

/**
 * A SOCKS5 UDP ASSOCIATE (RFC 1928 §7): a datagram port on the address the client reached,
 * named in the success reply. Only the client's own address may use it (and only the port it
 * announced, or else the first one it sends from); its datagrams go to the exit, the exit's
 * answers come back to it. The association lives as long as the client's TCP connection (and
 * the exit): either end closes the other. Datagrams count toward the account's bytes and keep
 * the association from idling out. Resolves with the reply code for a failed setup, which the
 * caller sends.
 */
export async function openUdpAssociation(
  accepted: AcceptedClient,
  openExit: UdpExitFactory,
  requested: Target,
  ports: UdpPortPool,
  metrics: GatewayMetrics,
  idleMs: number,
  /** An account with a quota: each datagram is taken from it whole, or dropped. */
  budget?: ByteBudget,
): Promise<Socks5ReplyCode | undefined> {
  const { tunnel } = accepted;
  const client = tunnel.client;
  const clientIp = plain(client.remoteAddress ?? '');
  let clientPort = requested.port || undefined;
  const port = await ports.open(plain(client.localAddress ?? '0.0.0.0')).catch(() => undefined);
  if (!port) {
    metrics.errors.inc({ kind: 'udp_no_port' });
    accepted.outcome('no-udp-port');
    return SOCKS5_REPLY.generalFailure;
  }
  port.on('error', () => undefined);
  let exit: UdpExit;
  let lastActive = Date.now();
  const drop = (kind: string) => metrics.errors.inc({ kind: `udp_${kind}` });
  const datagrams = budget && tunnelBudget(tunnel, budget);
  /** Whether the lease covers the datagram; when not, it is dropped, and the quota looked at. */
  const leased = (bytes: number): boolean => {
    if (!datagrams || datagrams.takeWhole(bytes)) return true;
    drop('over_lease');
    void datagrams.more(bytes).then((more) => more || tunnel.close('over-quota'));
    return false;
  };
  try {
    exit = await openExit({
      deliver(packet) {
        if (clientPort === undefined || !leased(packet.length)) return;
        lastActive = Date.now();
        tunnel.udpBytesOut += packet.length;
        port.send(packet, clientPort, clientIp);
      },
      dropped: () => drop('refused'),
      ended: () => client.destroy(),
    });
  } catch (error) {
    port.close();
    const failure = upstreamErrorFrom(error);
    metrics.errors.inc({ kind: `upstream_${failure.code}` });
    accepted.outcome('upstream-failed');
    return upstreamSocks5(failure);
  }
  if (client.destroyed) {
    exit.close();
    port.close();
    return undefined;
  }
  port.on('message', (packet, from) => {
    // The port's family is the client's (mapped addresses bound as IPv4), and the kernel spells
    // both addresses alike: a string compare per datagram, no parse.
    if (from.address !== clientIp) return drop('foreign_source');
    if (clientPort === undefined) clientPort = from.port;
    else if (from.port !== clientPort) return drop('foreign_source');
    const datagram = parseSocks5Datagram(packet);
    if (typeof datagram === 'string') return drop('bad_datagram');
    if (!leased(packet.length)) return;
    lastActive = Date.now();
    tunnel.udpBytesIn += packet.length;
    exit.send(packet, datagram);
  });
  // The TCP connection marks the association's life: anything more on it is only activity.
  client.on('data', () => (lastActive = Date.now()));
  client.on('end', () => client.destroy());
  client.resume();
  client.once('close', () => {
    clearTimeout(idleTimer);
    exit.close();
    port.close();
  });
  // Datagrams are activity the socket's own idle timer cannot see: one timer checks both.
  accepted.handshakeDone();
  const checkIdle = () => {
    const quiet = Date.now() - lastActive;
    if (quiet >= idleMs) return tunnel.close('idle');
    idleTimer = setTimeout(checkIdle, idleMs - quiet);
  };
  let idleTimer = setTimeout(checkIdle, idleMs);
  const bound = port.address();
  client.write(socks5Reply(SOCKS5_REPLY.succeeded, { address: bound.address, port: bound.port }));
  accepted.outcome('udp-association');
  return undefined;
}
