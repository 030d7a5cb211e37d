import { createServer, type Server, type Socket } from 'node:net';
import Parser, { type SocksRequest } from '@mongodb-js/socksv5/lib/server.parser';
import { SOCKS5_REPLY, socks5Reply, type Credentials } from '@tunnelgate/proxy-protocols';
import { AccessRefused, type Gatekeeper, type Grant } from '../access/gatekeeper';
import type { GatewayConfig } from '../config/gateway.config';
import { acceptClient, type AcceptedClient } from '../connections/accept-client';
import { firstBytes } from '../connections/first-bytes';
import type { ConnectionRegistry } from '../connections/connection-registry';
import { openTunnel } from '../connections/open-tunnel';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { readAnswer } from '../upstream/tcp-connect';
import { openUdpAssociation } from '../udp/udp-association';
import { UdpPortPool } from '../udp/udp-port-pool';
import { REFUSAL_SOCKS5, upstreamSocks5 } from './refusal-answers';
import { connectionIdOf } from '../access-log/access-log-entry';

const METHOD_NONE = 0x00;
const METHOD_PASSWORD = 0x02;
const NO_ACCEPTABLE_METHOD = Buffer.from([0x05, 0xff]);

/** RFC 1929: VER ULEN UNAME PLEN PASSWD — its length, or -1 until all of it is here. */
function passwordRequestLength(buffer: Buffer): number {
  if (buffer.length < 2) return -1;
  const userEnd = 2 + (buffer[1] ?? 0);
  if (buffer.length < userEnd + 1) return -1;
  const end = userEnd + 1 + (buffer[userEnd] ?? 0);
  return buffer.length >= end ? end : -1;
}

/** The client's round trip, seen in its handshake: our method choice to its next message. */
class HandshakeRtt {
  private askedAt: number | undefined;
  ms = 0;

  asked(): void {
    this.askedAt = performance.now();
  }

  answered(): void {
    if (this.askedAt === undefined) return;
    this.ms = performance.now() - this.askedAt;
    this.askedAt = undefined;
  }
}

/**
 * The SOCKS5 proxy (RFC 1928 CONNECT and UDP ASSOCIATE; RFC 1929 username/password, no-auth
 * only for sources an account whitelists). The greeting and request are parsed by @mongodb-js/socksv5's parser (the
 * maintained fork of socksv5: the original mis-parses IPv6 targets); the server logic is ours
 * because that package's server sends 2-byte failure replies, cannot choose the auth method per
 * source address, and decides alone when to reply success (here: before the device answers only
 * when pipelining).
 */
export class Socks5Listener {
  readonly server: Server;
  private readonly udpPorts: UdpPortPool;

  constructor(
    private readonly config: GatewayConfig,
    private readonly gate: Gatekeeper,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: GatewayMetrics,
  ) {
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    this.udpPorts = new UdpPortPool(config.udpPorts);
  }

  private onConnection(socket: Socket): void {
    const accepted = acceptClient(
      socket,
      'socks5',
      this.registry,
      this.metrics,
      this.config.timeouts.handshakeMs,
    );
    const parser = new Parser(socket);
    parser.on('error', () => {
      this.metrics.errors.inc({ kind: 'socks5_protocol' });
      accepted.outcome('bad-protocol');
      socket.destroy();
    });
    let grant: Promise<Grant> | undefined;
    const rtt = new HandshakeRtt();
    parser.on('methods', (methods) => {
      grant = this.authenticate(socket, accepted, methods, parser, rtt);
      grant.catch(() => undefined);
    });
    parser.on('request', (request) => {
      rtt.answered();
      void this.onRequest(socket, accepted, request, grant, rtt);
    });
  }

  /** Picks the method, runs RFC 1929 when it is the password, and lets the parser go on. */
  private async authenticate(
    socket: Socket,
    accepted: AcceptedClient,
    methods: Buffer,
    parser: Parser,
    rtt: HandshakeRtt,
  ): Promise<Grant> {
    const clientIp = socket.remoteAddress ?? '';
    let credentials: Credentials | undefined;
    if (methods.includes(METHOD_NONE) && this.gate.mayOmitCredentials('socks5', clientIp)) {
      socket.write(Buffer.from([0x05, METHOD_NONE]));
      rtt.asked();
    } else if (methods.includes(METHOD_PASSWORD)) {
      socket.write(Buffer.from([0x05, METHOD_PASSWORD]));
      rtt.asked();
      const request = await readAnswer(
        socket,
        passwordRequestLength,
        513,
        this.config.timeouts.handshakeMs,
      ).catch(() => undefined);
      rtt.answered();
      if (!request || request[0] !== 0x01) {
        accepted.outcome('bad-protocol');
        socket.destroy();
        throw new Error('bad RFC 1929 request');
      }
      const userEnd = 2 + (request[1] ?? 0);
      credentials = {
        username: request.subarray(2, userEnd).toString('utf8'),
        password: request.subarray(userEnd + 1).toString('utf8'),
      };
    } else {
      this.metrics.authFailures.inc({ listener: 'socks5', reason: 'credentials-required' });
      accepted.outcome('refused', 'credentials-required');
      socket.end(NO_ACCEPTABLE_METHOD);
      throw new Error('no acceptable method');
    }
    try {
      const grant = await this.gate.login(
        credentials,
        'socks5',
        clientIp,
        undefined,
        connectionIdOf(this.config.usage.reporter, accepted.tunnel),
      );
      if (grant.accountId && grant.deviceId)
        accepted.claim({
          accountId: grant.accountId,
          deviceId: grant.deviceId,
          budget: grant.budget,
        });
      if (credentials) socket.write(Buffer.from([0x01, 0x00]));
      parser.authed = true;
      parser.start();
      return grant;
    } catch (error) {
      const kind = error instanceof AccessRefused ? error.kind : 'unavailable';
      this.metrics.authFailures.inc({ listener: 'socks5', reason: kind });
      accepted.outcome('refused', kind);
      // RFC 1929 has only "failure"; without a password step the CONNECT reply says why.
      if (credentials) socket.end(Buffer.from([0x01, 0x01]));
      else socket.end(socks5Reply(REFUSAL_SOCKS5[kind]));
      throw error;
    }
  }

  private async onRequest(
    socket: Socket,
    accepted: AcceptedClient,
    request: SocksRequest,
    pending: Promise<Grant> | undefined,
    rtt: HandshakeRtt,
  ): Promise<void> {
    const grant = await pending?.catch(() => undefined);
    if (!grant) return void socket.destroy();
    if (request.cmd === 'udp' && grant.udp) {
      const code = await openUdpAssociation(
        accepted,
        grant.udp,
        { host: request.dstAddr, port: request.dstPort },
        this.udpPorts,
        this.metrics,
        this.config.timeouts.idleMs,
        grant.budget,
      );
      if (code !== undefined && socket.writable) socket.end(socks5Reply(code));
      return;
    }
    if (request.cmd !== 'connect') {
      accepted.outcome('unsupported-command');
      return void socket.end(socks5Reply(SOCKS5_REPLY.commandNotSupported));
    }
    const target = { host: request.dstAddr, port: request.dstPort };
    const options = { idleMs: this.config.timeouts.idleMs };
    if (this.config.pipeline) {
      // Success at once, and the client's first bytes go with our request to the device: the
      // device's answer would cost the customer a round trip over the phone's link. A refusal
      // then can only be a reset, as from a destination that refused (README, "Time to first
      // byte").
      const failure = await openTunnel(accepted, grant, target, this.metrics, {
        ...options,
        answerEarly: () => {
          socket.write(socks5Reply(SOCKS5_REPLY.succeeded, { address: '0.0.0.0', port: 0 }));
          // The client's first bytes come a round trip after our reply (unlike a transparent
          // client's, which follow its handshake): waited for as long as its handshake took.
          const { peekMs, peekSilentMs } = this.config.timeouts;
          const waitMs = Math.min(peekMs, Math.max(peekSilentMs, Math.ceil(rtt.ms * 1.5) + 5));
          return firstBytes(socket, waitMs);
        },
      });
      if (failure?.code === 'BAD_TARGET' && socket.writable)
        socket.end(socks5Reply(upstreamSocks5(failure)));
      else if (failure && !socket.destroyed) socket.resetAndDestroy();
      return;
    }
    const failure = await openTunnel(accepted, grant, target, this.metrics, {
      ...options,
      greeting: (upstream) =>
        socks5Reply(SOCKS5_REPLY.succeeded, {
          address: upstream.localAddress ?? '0.0.0.0',
          port: upstream.localPort ?? 0,
        }),
    });
    if (failure && socket.writable) socket.end(socks5Reply(upstreamSocks5(failure)));
  }
}
