import { networkInterfaces } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import { originalDestination, type OriginalDestination } from '@tunnelgate/original-dst';
import {
  MAX_CLIENT_HELLO_BYTES,
  peekClientHelloSni,
  peekHttpHost,
  SERVER_FIRST_PORTS,
} from '@tunnelgate/proxy-protocols';
import { inPortRanges } from '@tunnelgate/config';
import * as ipaddr from 'ipaddr.js';
import type { Gatekeeper, Grant } from '../access/gatekeeper';
import type { GatewayConfig } from '../config/gateway.config';
import { acceptClient, type AcceptedClient } from '../connections/accept-client';
import type { ConnectionRegistry } from '../connections/connection-registry';
import { openTunnel } from '../connections/open-tunnel';
import type { GatewayMetrics } from '../metrics/gateway-metrics';

export interface PeekedName {
  host: string | undefined;
  via: 'sni' | 'host' | 'none' | 'server-first' | 'not-peeked' | 'silent';
  head: Buffer;
}

/**
 * Whether the name a client sends is worth waiting for on this port. Names matter where TLS and
 * HTTP are (web ports: the phone resolves the name, as the customer would, instead of taking the
 * address the relay's resolver gave); elsewhere, waiting would only delay server-first protocols,
 * which send nothing until they have heard the server.
 */
function peekVia(port: number, peekPorts: GatewayConfig['peekPorts']): PeekedName['via'] | 'peek' {
  if (SERVER_FIRST_PORTS.has(port)) return 'server-first';
  if (peekPorts === 'all' || inPortRanges(port, peekPorts)) return 'peek';
  return 'not-peeked';
}

/**
 * Waits (at most `timeoutMs`) for the client's first bytes and looks for a TLS SNI or an HTTP
 * Host in them, reading on while a ClientHello is still incomplete. A client that has sent
 * nothing after `silentMs` is taken for one that waits for the server (a protocol that speaks
 * first, on a port not known for it): peeking on would only delay the server's first bytes. The
 * bytes stay with the caller, to be replayed to the upstream untouched; the socket is left
 * paused.
 */
export function peekName(
  socket: Socket,
  timeoutMs: number,
  silentMs = timeoutMs,
): Promise<PeekedName> {
  return new Promise((resolve) => {
    let head: Buffer = Buffer.alloc(0);
    const finish = (host: string | undefined, via: PeekedName['via']) => {
      clearTimeout(timer);
      clearTimeout(silence);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      resolve({ host, via, head });
    };
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const tls = peekClientHelloSni(head);
      if (tls.status === 'found') return finish(tls.host, 'sni');
      if (tls.status === 'incomplete' && head.length < MAX_CLIENT_HELLO_BYTES) return;
      const http = peekHttpHost(head);
      if (http.status === 'found') return finish(http.host, 'host');
      if (http.status === 'other' || head.length >= MAX_CLIENT_HELLO_BYTES)
        finish(undefined, 'none');
    };
    const onEnd = () => finish(undefined, 'none');
    const timer = setTimeout(() => finish(undefined, 'none'), timeoutMs);
    const silence = setTimeout(() => {
      if (head.length === 0) finish(undefined, 'silent');
    }, silentMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.resume();
  });
}

function localAddresses(): Set<string> {
  const addresses = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces()))
    for (const entry of list ?? []) addresses.add(ipaddr.process(entry.address).toString());
  return addresses;
}

/**
 * The REDIRECT target: OpenVPN customers' TCP arrives here with its original destination in
 * conntrack. The client is found by source address (its session), the destination by
 * SO_ORIGINAL_DST, the host name by SNI or Host, and the connection is opened as a CONNECT to
 * that name through the customer's device. Nothing of ours is ever written to these clients:
 * every refusal is a TCP reset, as if the far end refused.
 */
export class TransparentListener {
  readonly server: Server;
  private local = localAddresses();
  private readonly refresh = setInterval(() => (this.local = localAddresses()), 30_000);
  private ownPorts = new Set<number>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly gate: Gatekeeper,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: GatewayMetrics,
    private readonly logDebug: (entry: Record<string, unknown>) => void,
  ) {
    this.refresh.unref();
    this.server = createServer(
      { allowHalfOpen: true, pauseOnConnect: true },
      (socket) => void this.onConnection(socket),
    );
  }

  /** Every port the gateway listens on: a redirected connection to one of them is a loop. */
  setOwnPorts(ports: number[]): void {
    this.ownPorts = new Set(ports);
  }

  close(): void {
    clearInterval(this.refresh);
  }

  private reset(accepted: AcceptedClient, outcome: string, reason: string): void {
    this.logDebug({
      message: 'transparent connection reset',
      client: accepted.tunnel.client.remoteAddress,
      outcome,
      reason,
    });
    accepted.outcome(outcome, reason);
    accepted.tunnel.client.resetAndDestroy();
  }

  private async onConnection(socket: Socket): Promise<void> {
    const accepted = acceptClient(
      socket,
      'transparent',
      this.registry,
      this.metrics,
      this.config.timeouts.handshakeMs,
    );
    let destination: OriginalDestination;
    try {
      destination = originalDestination(socket);
    } catch (error) {
      this.metrics.errors.inc({ kind: 'original_dst' });
      return this.reset(accepted, 'no-destination', (error as Error).message);
    }
    const destinationIp = ipaddr.process(destination.address).toString();
    if (this.ownPorts.has(destination.port) && this.local.has(destinationIp)) {
      this.metrics.errors.inc({ kind: 'loop' });
      return this.reset(accepted, 'loop', `${destinationIp}:${destination.port} is this gateway`);
    }
    let grant: Grant;
    try {
      grant = await this.gate.admitTransparent(socket.remoteAddress ?? '');
    } catch (error) {
      this.metrics.authFailures.inc({
        listener: 'transparent',
        reason: (error as { kind?: string }).kind ?? 'unavailable',
      });
      return this.reset(accepted, 'refused', (error as Error).message);
    }
    if (grant.accountId && grant.deviceId)
      accepted.claim({
        accountId: grant.accountId,
        deviceId: grant.deviceId,
        ...(grant.sessionId && { sessionId: grant.sessionId }),
        budget: grant.budget,
      });
    // Dial while peeking: the device connection (a warm one, or a fresh one begun now) is on its
    // way while the client's first bytes are awaited.
    const prepared = grant.tunnel();
    const { peekMs, peekSilentMs } = this.config.timeouts;
    const via = peekVia(destination.port, this.config.peekPorts);
    const peeked: PeekedName =
      via === 'peek'
        ? await peekName(socket, peekMs, peekSilentMs)
        : { host: undefined, via, head: Buffer.alloc(0) };
    if (socket.destroyed) return prepared.abandon();
    const target = { host: peeked.host ?? destinationIp, port: destination.port };
    accepted.tunnel.name = peeked.host;
    accepted.tunnel.via = peeked.via;
    this.logDebug({
      message: 'transparent connection',
      client: socket.remoteAddress,
      destination: `${destinationIp}:${destination.port}`,
      host: peeked.host,
      via: peeked.via,
    });
    const failure = await openTunnel(accepted, grant, target, this.metrics, {
      idleMs: this.config.timeouts.idleMs,
      head: peeked.head,
      prepared,
    });
    if (failure && !socket.destroyed) socket.resetAndDestroy();
  }
}
