import {
  Agent,
  createServer,
  type ClientRequestArgs,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import {
  isValidTargetHost,
  parseBasicCredentials,
  parseConnectRequest,
  stripHopByHop,
} from '@tunnelgate/proxy-protocols';
import httpProxy from 'http-proxy';
import { AccessRefused, type Gatekeeper, type Grant } from '../access/gatekeeper';
import type { AccessLog } from '../access-log/access-log';
import { connectionIdOf } from '../access-log/access-log-entry';
import type { GatewayConfig } from '../config/gateway.config';
import { acceptClient, type AcceptedClient } from '../connections/accept-client';
import type { ConnectionRegistry } from '../connections/connection-registry';
import { firstBytes } from '../connections/first-bytes';
import { openTunnel } from '../connections/open-tunnel';
import type { Tunnel } from '../connections/tunnel';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { Dialer } from '../upstream/dialer';
import { upstreamErrorFrom } from '../upstream/upstream-error';
import { KeptAliveConnections } from './kept-alive-connections';
import { REFUSAL_STATUS, upstreamStatus } from './refusal-answers';
import { tunnelBudget } from '../control/byte-allowance';
import { meterReads } from '../connections/meter-reads';

const CONNECT_ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  431: 'Request Header Fields Too Large',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * Where a client socket keeps its AcceptedClient between accept and its requests. A property,
 * not a WeakMap: in paired A/B runs of the bench's new-connection loop the WeakMap cost 50-60 µs
 * of CPU per new tunnel, about a tenth of the whole tunnel (likely the ephemeron work V8 does for
 * its entries at every scavenge; not traced further).
 */
const ACCEPTED = Symbol('accepted client');
/** The client connection's own upstream for forwarded requests (see `agentFor`). */
const UPSTREAM = Symbol('upstream agent');
type ClientSocket = Socket & { [ACCEPTED]?: AcceptedClient; [UPSTREAM]?: DialerAgent };

/** An http.Agent whose connections come from a dialer (the device's CONNECT, or direct). */
class DialerAgent extends Agent {
  constructor(
    readonly dial: Dialer,
    private readonly opened: (upstream: Socket) => void,
    /** Responses read from the upstream are taken from it (an account with a quota). */
    private readonly budget: ReturnType<typeof tunnelBudget> | undefined,
    private readonly usedUp: () => void,
  ) {
    // One client connection's requests come one at a time: one upstream socket serves them.
    super({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): undefined {
    this.dial({ host: options.host ?? '', port: Number(options.port ?? 80) }).then(
      (socket) => {
        // Dialers open tunnels half-open; a pooled keep-alive socket must close when the origin
        // closes (its keep-alive timeout), or the agent hands out a dead socket.
        socket.allowHalfOpen = false;
        if (this.budget) meterReads(socket, this.budget, this.usedUp);
        this.opened(socket);
        callback?.(null, socket);
        // Dialers hand sockets over paused (no byte lost before a reader exists): the HTTP
        // client has its reader now.
        socket.resume();
      },
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * The HTTP proxy: CONNECT tunnels, and absolute-URI requests forwarded with http-proxy through a
 * keep-alive agent per upstream (so consecutive GETs reuse the device tunnel). Basic proxy auth,
 * or the account whose whitelist holds the client's address.
 *
 * A plain TCP server accepts: a connection that opens with CONNECT becomes a tunnel at once,
 * any other goes to node:http (which also takes a CONNECT later on a kept-alive connection).
 */
export class HttpProxyListener {
  readonly server: NetServer;
  private readonly http: Server;
  private readonly keptAlive: KeptAliveConnections;
  private readonly proxy = httpProxy.createProxyServer({
    xfwd: false,
    ws: false,
    changeOrigin: false,
  });

  constructor(
    private readonly config: GatewayConfig,
    private readonly gate: Gatekeeper,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: GatewayMetrics,
    private readonly accessLog: AccessLog,
  ) {
    this.server = createNetServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    const keepAliveMs = Math.min(30_000, config.timeouts.idleMs);
    // It never listens, so its own header and request timeouts (checked only for connections
    // it accepted) do not apply: the handshake deadline bounds a client's first request head,
    // keptAlive the later ones.
    this.http = createServer({
      // Between requests the server's keep-alive timer replaces the idle timer on the socket.
      keepAliveTimeout: keepAliveMs,
    });
    this.keptAlive = new KeptAliveConnections(keepAliveMs + config.timeouts.handshakeMs);
    this.http.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // A tunnel from now on: the drain leaves it its deadline.
      this.keptAlive.release(socket);
      void this.onConnect(socket, req.url ?? '', req.headers['proxy-authorization'], head);
    });
    this.http.on(
      'request',
      (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res),
    );
    this.http.on('clientError', (_error, socket: Socket) => {
      this.metrics.errors.inc({ kind: 'http_client_error' });
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
    });
    // Without this listener http-proxy rethrows upstream errors and one refused upstream would end the process.
    this.proxy.on('error', (error, _req, res) => {
      const failure = upstreamErrorFrom(error);
      this.metrics.errors.inc({ kind: `upstream_${failure.code}` });
      if ('writeHead' in res && !res.headersSent) {
        res.writeHead(upstreamStatus(failure), {
          'content-type': 'text/plain',
          connection: 'close',
        });
        res.end(`${failure.message}\n`);
      } else res.destroy();
    });
  }

  /** Reads the first bytes: a CONNECT head is handled here, anything else by node:http. */
  private accept(socket: ClientSocket): void {
    socket[ACCEPTED] = acceptClient(
      socket,
      'http',
      this.registry,
      this.metrics,
      this.config.timeouts.handshakeMs,
    );
    let received: Buffer | undefined;
    // Half-open sockets (a tunnel relays a half-close), so an end in the middle of a head is
    // ours to close.
    const onEarlyEnd = () => socket.destroy();
    const onData = (chunk: Buffer) => {
      received = received ? Buffer.concat([received, chunk]) : chunk;
      const request = parseConnectRequest(received);
      if (request.status === 'incomplete') return;
      socket.off('data', onData);
      socket.off('end', onEarlyEnd);
      if (request.status === 'other') {
        // node:http reads the unshifted bytes first (its 'data' listener resumes the socket on
        // the next tick, before any new bytes can arrive), then takes the socket's reads over.
        socket.unshift(received);
        this.keptAlive.adopt(socket);
        this.http.emit('connection', socket);
        return;
      }
      // Bytes that come while the tunnel is being set up wait in the socket for the relay.
      socket.pause();
      if (request.status === 'invalid') {
        this.metrics.errors.inc({ kind: 'http_client_error' });
        return this.answer(socket, request.code, request.reason);
      }
      void this.onConnect(
        socket,
        request.target,
        request.proxyAuthorization,
        received.subarray(request.headLength),
      );
    };
    socket.on('data', onData);
    socket.once('end', onEarlyEnd);
  }

  /** A kept-alive connection belongs to the account of its first request (see Gatekeeper). */
  private async authorize(
    proxyAuthorization: string | undefined,
    accepted: AcceptedClient,
  ): Promise<Grant> {
    const grant = await this.gate.login(
      parseBasicCredentials(proxyAuthorization),
      'http',
      accepted.tunnel.client.remoteAddress ?? '',
      accepted.tunnel.accountId,
      connectionIdOf(this.config.usage.reporter, accepted.tunnel),
    );
    if (grant.accountId && grant.deviceId)
      accepted.claim({
        accountId: grant.accountId,
        deviceId: grant.deviceId,
        budget: grant.budget,
      });
    return grant;
  }

  private refused(error: unknown): { status: number; message: string; kind: string } {
    if (error instanceof AccessRefused) {
      this.metrics.authFailures.inc({ listener: 'http', reason: error.kind });
      return { status: REFUSAL_STATUS[error.kind], message: error.message, kind: error.kind };
    }
    this.metrics.errors.inc({ kind: 'internal' });
    return { status: 503, message: 'the gateway cannot serve this now', kind: 'internal' };
  }

  private async onConnect(
    socket: ClientSocket,
    requestTarget: string,
    proxyAuthorization: string | undefined,
    head: Buffer,
  ): Promise<void> {
    const accepted = socket[ACCEPTED];
    if (!accepted) return void socket.destroy();
    const target = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(requestTarget);
    const port = Number(target?.[3]);
    if (!target || !(port >= 1 && port <= 65535))
      return this.answer(socket, 400, 'CONNECT needs host:port');
    let grant: Grant;
    try {
      grant = await this.authorize(proxyAuthorization, accepted);
    } catch (error) {
      const { status, message, kind } = this.refused(error);
      accepted.outcome('refused', kind);
      return this.answer(socket, status, message);
    }
    const destination = { host: target[1] ?? target[2] ?? '', port };
    const idleMs = this.config.timeouts.idleMs;
    if (!this.config.connectAnswerEarly) {
      const failure = await openTunnel(accepted, grant, destination, this.metrics, {
        idleMs,
        greeting: () => CONNECT_ESTABLISHED,
        head,
      });
      if (failure) this.answer(socket, upstreamStatus(failure), failure.message);
      return;
    }
    // The 200 at once, and the client's first bytes (a TLS ClientHello, mostly: it sends them as
    // soon as it has the 200) with our request to the device. A refusal after the 200 can only
    // be a reset (docs/benchmarks/ttfb.md).
    let answered = false;
    const failure = await openTunnel(accepted, grant, destination, this.metrics, {
      idleMs,
      answerEarly: () => {
        answered = true;
        socket.write(CONNECT_ESTABLISHED);
        return head.length > 0
          ? Promise.resolve(head)
          : firstBytes(socket, this.config.timeouts.peekMs);
      },
    });
    if (!failure) return;
    if (answered) socket.resetAndDestroy();
    else this.answer(socket, upstreamStatus(failure), failure.message);
  }

  /** At shutdown: closes kept-alive connections between requests now and the others once
   * their answer is out; tunnels are left to the drain. */
  closeKeptAlive(): void {
    this.keptAlive.drain();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.keptAlive.requestStarted(req.socket, res);
    const accepted = (req.socket as ClientSocket)[ACCEPTED];
    let url: URL | undefined;
    try {
      url = new URL(req.url ?? '');
    } catch {
      url = undefined;
    }
    if (
      !accepted ||
      !url ||
      url.protocol !== 'http:' ||
      !isValidTargetHost(url.hostname.replace(/^\[(.*)\]$/, '$1'))
    ) {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' });
      return void res.end(
        'this is a proxy: send absolute http:// URLs, or CONNECT for anything else\n',
      );
    }
    let grant: Grant;
    try {
      grant = await this.authorize(req.headers['proxy-authorization'], accepted);
    } catch (error) {
      const { status, message, kind } = this.refused(error);
      accepted.outcome('refused', kind);
      // Closed after the answer: a client that was refused holds no socket (a fuzz run found
      // refused connections kept alive for the whole keep-alive timeout).
      res.writeHead(status, {
        'content-type': 'text/plain',
        connection: 'close',
        ...(status === 407 && { 'proxy-authenticate': 'Basic realm="tunnelgate"' }),
      });
      return void res.end(`${message}\n`);
    }
    // Authorized: from now on only real inactivity ends the connection.
    accepted.idleFromNowOn(this.config.timeouts.idleMs);
    accepted.outcome('forwarded');
    if (this.accessLog.enabled) this.logWhenAnswered(req, res, accepted.tunnel, url.host);
    stripHopByHop(req.headers);
    // RFC 9112 §3.2.2: a proxy replaces Host with the absolute URI's authority.
    req.headers.host = url.host;
    req.url = `${url.pathname}${url.search}`;
    // The request's body, as it goes up; the response's, as it comes down (the agent's socket).
    const budget = grant.budget && tunnelBudget(accepted.tunnel, grant.budget);
    if (budget) meterReads(req, budget, () => accepted.tunnel.close('over-quota'));
    this.proxy.web(req, res, {
      target: `http://${url.host}`,
      agent: this.agentFor(req.socket as ClientSocket, accepted, grant.dial, budget),
      proxyTimeout: this.config.timeouts.idleMs,
    });
  }

  /** The request's access log line, once its answer is out (or the connection is gone). */
  private logWhenAnswered(req: IncomingMessage, res: ServerResponse, tunnel: Tunnel, host: string) {
    const socket = req.socket;
    const startedAt = Date.now();
    const [readBefore, writtenBefore] = [socket.bytesRead, socket.bytesWritten];
    res.once('close', () =>
      this.accessLog.request(tunnel, {
        method: req.method ?? '',
        target: /:\d+$/.test(host) ? host : `${host}:80`,
        status: res.statusCode,
        startedAt,
        bytesUp: socket.bytesRead - readBefore,
        bytesDown: socket.bytesWritten - writtenBefore,
        completed: res.writableFinished,
      }),
    );
  }

  /**
   * The upstream of a client connection's forwarded requests: an agent of its own, so that a
   * device tunnel kept alive between requests serves one client connection, and so one account
   * (the origin cannot link two customers by their shared connection), and is that connection's
   * upstream in the registry: it closes with the client (a client gone mid-response stops the
   * download at once), and with a kick, a disabled account or an offline device.
   */
  private agentFor(
    socket: ClientSocket,
    accepted: AcceptedClient,
    dial: Dialer,
    budget: ReturnType<typeof tunnelBudget> | undefined,
  ): DialerAgent {
    const current = socket[UPSTREAM];
    if (current?.dial === dial) return current;
    current?.destroy();
    if (!current) socket.once('close', () => socket[UPSTREAM]?.destroy());
    const agent = new DialerAgent(
      dial,
      (upstream) => (accepted.tunnel.upstream = upstream),
      budget,
      () => accepted.tunnel.close('over-quota'),
    );
    socket[UPSTREAM] = agent;
    return agent;
  }

  /** A complete HTTP answer on a raw socket (CONNECT refusals), then close. */
  private answer(socket: Socket, status: number, message: string): void {
    if (!socket.writable) return void socket.destroy();
    const body = `${message}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
        (status === 407 ? 'Proxy-Authenticate: Basic realm="tunnelgate"\r\n' : '') +
        `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // Whatever else the client sends is dropped; its end closes the socket (or the handshake
    // deadline does).
    socket.resume();
  }
}
