import {
  API_ROUTES,
  clientSessionSchema,
  openvpnAdmitRequestSchema,
  openvpnAdmitResponseSchema,
  openvpnAuthRequestSchema,
  type OpenvpnAdmitResponse,
} from '@tunnelgate/sessions';
import {
  clientAuth,
  clientDeny,
  clientKill,
  parseClientList,
  type ClientEnv,
  type ListedClient,
  type ManagementEvent,
} from '@tunnelgate/openvpn-management';
import * as ipaddr from 'ipaddr.js';
import * as z from 'zod/mini';
import { getJson, postJson, type ApiOutcome, type ApiTarget } from '@tunnelgate/api-client';
import { withAttempts } from '../api/with-attempts';
import type { ManageConfig } from './manage-config';
import { clientEventRequestId, PROCESS_REQUEST_ID } from '../api/request-id';

type AuthRequest = Extract<ManagementEvent, { kind: 'client-auth-request' }>;
type Disconnect = Extract<ManagementEvent, { kind: 'client-disconnect' }>;

/** What the manager remembers of a client it admitted, to report its end. */
type Admitted = Pick<OpenvpnAdmitResponse, 'sessionId' | 'vpnIp' | 'commonName' | 'connectedAt'> & {
  username: string;
};

export interface ManagerLog {
  (line: Record<string, unknown>): void;
}

/**
 * How long a client just admitted may be missing from OpenVPN's list before its session counts
 * as stale: its session is stored before client-auth, and OpenVPN lists it once it is up (the
 * TLS handshake's own deadline, hand-window, is 60 s).
 */
const ADMITTING_MS = 60_000;

/** OpenVPN ends a killed client 5 s after the kill; it is not killed twice meanwhile. */
const KILL_GRACE_MS = 10_000;

/** What the customer's client shows: the reason of a definitive no, TEMP for an outage. */
function clientReason(outcome: ApiOutcome): string {
  if (outcome.kind === 'rejected') return outcome.message;
  return 'TEMP[backoff 10]: the relay cannot check credentials right now';
}

function describe(outcome: ApiOutcome): string {
  if (outcome.kind === 'ok') return 'ok';
  const code = 'code' in outcome && outcome.code ? ` (${outcome.code})` : '';
  return `${outcome.kind}: ${outcome.message}${code}`;
}

/**
 * The script hooks' contract, for every client of one OpenVPN instance, from one process: a
 * CONNECT is admitted (client-auth with its pushed address) only once tunnel-api has checked the
 * password, stored the session and put its rule in the kernel, with the same 2 attempts 1 s
 * apart and 5 s each; anything short of that is a client-deny with a reason. Events are handled
 * concurrently: one slow answer holds up nobody else, and OpenVPN never waits on a process.
 */
export class ClientManager {
  private readonly admitted = new Map<number, Admitted>();
  /** VPN IPs of clients admitted and not yet seen in OpenVPN's list, with when. */
  private readonly admitting = new Map<string, number>();
  /** When each client list still on its way was asked for (they are answered in order). */
  private readonly asks: number[] = [];
  /** Clients killed, by cid, with when: OpenVPN lists them until it ends them. */
  private readonly killed = new Map<number, number>();
  private readonly target: ApiTarget;

  constructor(
    private readonly config: ManageConfig,
    token: string,
    private readonly send: (command: string) => boolean,
    private readonly log: ManagerLog,
  ) {
    this.target = {
      baseUrl: config.apiUrl,
      token,
      timeoutMs: config.timeoutMs,
      requestId: PROCESS_REQUEST_ID,
    };
  }

  /** OpenVPN restarted or the socket dropped: the cids it gave are meaningless from now on. */
  detached(): void {
    this.admitted.clear();
    this.admitting.clear();
    this.asks.length = 0;
    this.killed.clear();
  }

  /** The caller sent `status 3`: its answer will be a snapshot of no earlier than now. */
  listAsked(): void {
    this.asks.push(Date.now());
  }

  handle(event: ManagementEvent): void {
    switch (event.kind) {
      case 'hold':
        this.send('hold release\n');
        return;
      case 'client-auth-request':
        void this.answer(event);
        return;
      case 'client-disconnect':
        void this.release(event);
        return;
      case 'block':
        void this.reconcile(parseClientList(event.lines), this.asks.shift() ?? Date.now());
        return;
      case 'garbage':
        this.log({ level: 'warn', outcome: 'ignored', reason: `management: ${event.reason}` });
        return;
      default:
        return;
    }
  }

  /** A POST of `body`, or a GET without one; with the hook's attempts. */
  private call(path: string, body: unknown): Promise<{ outcome: ApiOutcome; attempts: number }> {
    return withAttempts(this.config, () =>
      body === undefined ? getJson(this.target, path) : postJson(this.target, path, body),
    );
  }

  private deny(
    event: AuthRequest,
    reason: string,
    client: string,
    started: number,
    attempts = 0,
  ): void {
    this.send(clientDeny(event.cid, event.kid, reason, client));
    this.log({
      level: 'warn',
      hook: event.event === 'CONNECT' ? 'client-connect' : 'reauth',
      outcome: 'rejected',
      client: event.env.values.get('username'),
      attempts,
      elapsedMs: Date.now() - started,
      reason,
      requestId: clientEventRequestId(event.cid, event.kid),
    });
  }

  private async answer(event: AuthRequest): Promise<void> {
    const started = Date.now();
    const env = event.env.values;
    if (event.env.overLimits)
      return this.deny(
        event,
        `bad OpenVPN environment: ${event.env.overLimits}`,
        'bad request',
        started,
      );
    const credentials = {
      username: env.get('username'),
      password: env.get('password'),
      realIp: env.get('untrusted_ip') || env.get('untrusted_ip6'),
    };
    if (event.event === 'REAUTH') return this.reauthorize(event, credentials, started);
    const request = openvpnAdmitRequestSchema.safeParse({
      ...credentials,
      realPort: Number(env.get('untrusted_port')),
      subnet: this.config.subnet,
    });
    if (!request.success) {
      const fields = request.error.issues.map((i) => String(i.path[0])).join(', ');
      return this.deny(event, `malformed ${fields}`, `malformed ${fields}`, started);
    }
    // Each attempt carries its own deadline: what tunnel-api serves after it is not stored.
    const requestId = clientEventRequestId(event.cid, event.kid);
    const { outcome, attempts } = await withAttempts(this.config, () =>
      postJson(
        this.target,
        API_ROUTES.openvpnAdmit,
        {
          ...request.data,
          deadline: new Date(Date.now() + this.config.timeoutMs).toISOString(),
        },
        requestId,
      ),
    );
    const answer =
      outcome.kind === 'ok' ? openvpnAdmitResponseSchema.safeParse(outcome.body) : undefined;
    if (!answer?.success)
      return this.deny(
        event,
        answer ? 'admit answer does not match the contract' : describe(outcome),
        clientReason(outcome),
        started,
        attempts,
      );
    const session = answer.data;
    if (!this.send(clientAuth(event.cid, event.kid, session.config))) {
      // Detached between the question and the answer: the client is not admitted, so its session
      // must not stay.
      await this.closeSession({ ...session, username: request.data.username }, 0, 0, 0);
      return;
    }
    this.admitted.set(event.cid, { ...session, username: request.data.username });
    this.admitting.set(session.vpnIp, Date.now());
    this.log({
      level: 'info',
      hook: 'client-connect',
      outcome: 'admitted',
      client: session.commonName,
      vpnIp: session.vpnIp,
      attempts,
      elapsedMs: Date.now() - started,
      sessionId: session.sessionId,
      requestId,
    });
  }

  /** TLS renegotiation: the password again; the address and session stay. */
  private async reauthorize(
    event: AuthRequest,
    credentials: { username?: string; password?: string; realIp?: string },
    started: number,
  ): Promise<void> {
    const request = openvpnAuthRequestSchema.safeParse(credentials);
    if (!request.success)
      return this.deny(event, 'malformed credentials', 'malformed credentials', started);
    const { outcome, attempts } = await this.call(API_ROUTES.openvpnAuth, request.data);
    if (outcome.kind !== 'ok')
      return this.deny(event, describe(outcome), clientReason(outcome), started, attempts);
    this.send(clientAuth(event.cid, event.kid, []));
    this.log({
      level: 'info',
      hook: 'reauth',
      outcome: 'admitted',
      client: request.data.username,
      attempts,
      elapsedMs: Date.now() - started,
    });
  }

  private async release(event: Disconnect): Promise<void> {
    const known = this.admitted.get(event.cid);
    this.admitted.delete(event.cid);
    if (!known) return;
    const env: ClientEnv['values'] = event.env.values;
    const count = (name: string) => {
      const value = Number(env.get(name));
      return Number.isSafeInteger(value) && value >= 0 ? value : 0;
    };
    await this.closeSession(
      known,
      count('bytes_received'),
      count('bytes_sent'),
      count('time_duration'),
    );
  }

  /**
   * Sessions follow OpenVPN's truth (its `status 3` client list): a session of this instance's
   * subnet that OpenVPN does not have is closed (OpenVPN restarted, a disconnect was lost); a
   * client OpenVPN has without an active session (kicked, its account disabled, moved or over
   * quota) is disconnected, and told why.
   */
  async reconcile(clients: readonly ListedClient[], askedAt: number): Promise<void> {
    const { outcome } = await this.call(API_ROUTES.sessions, undefined);
    const parsed =
      outcome.kind === 'ok' ? z.array(clientSessionSchema).safeParse(outcome.body) : undefined;
    if (!parsed?.success) {
      this.log({
        level: 'warn',
        message: 'reconcile skipped: no session list',
        reason: describe(outcome),
      });
      return;
    }
    const subnet = ipaddr.IPv4.parseCIDR(this.config.subnet);
    const mine = parsed.data.filter(
      (session) =>
        ipaddr.IPv4.isValid(session.vpnIp) && ipaddr.IPv4.parse(session.vpnIp).match(subnet),
    );
    const listed = new Set(clients.map((client) => client.virtualAddress));
    const active = new Set(mine.map((session) => session.vpnIp));
    const now = Date.now();
    for (const address of listed) this.admitting.delete(address);
    for (const session of mine) {
      const admittedAt = this.admitting.get(session.vpnIp);
      // Stored after the list was asked for: the list cannot know it yet.
      const tooNew = Date.parse(session.connectedAt) >= askedAt - 1000;
      if (
        listed.has(session.vpnIp) ||
        tooNew ||
        (admittedAt !== undefined && now - admittedAt < ADMITTING_MS)
      )
        continue;
      this.admitting.delete(session.vpnIp);
      this.log({
        level: 'warn',
        message: 'closing a session OpenVPN does not have',
        sessionId: session.id,
        vpnIp: session.vpnIp,
      });
      await this.closeSession(
        { ...session, sessionId: session.id },
        session.bytesIn,
        session.bytesOut,
        0,
      );
    }
    for (const [cid, at] of this.killed) if (now - at > KILL_GRACE_MS) this.killed.delete(cid);
    for (const client of clients) {
      // No address yet: still being admitted.
      if (!client.virtualAddress || active.has(client.virtualAddress)) continue;
      if (this.killed.has(client.cid)) continue;
      this.killed.set(client.cid, now);
      this.log({
        level: 'warn',
        message: 'disconnecting a client without a session',
        client: client.commonName,
        vpnIp: client.virtualAddress,
      });
      this.send(clientKill(client.cid, 'your session has ended'));
    }
  }

  private async closeSession(
    client: Admitted,
    bytesReceived: number,
    bytesSent: number,
    durationSeconds: number,
  ): Promise<void> {
    const started = Date.now();
    const { outcome, attempts } = await this.call(API_ROUTES.openvpnDisconnect, {
      username: client.username,
      commonName: client.commonName,
      vpnIp: client.vpnIp,
      connectedAt: client.connectedAt,
      bytesReceived,
      bytesSent,
      durationSeconds,
    });
    this.log({
      level: outcome.kind === 'ok' ? 'info' : 'warn',
      hook: 'client-disconnect',
      outcome: outcome.kind === 'ok' ? 'closed' : 'failed',
      client: client.commonName,
      vpnIp: client.vpnIp,
      attempts,
      elapsedMs: Date.now() - started,
      sessionId: client.sessionId,
      ...(outcome.kind !== 'ok' && { reason: describe(outcome) }),
    });
  }
}
