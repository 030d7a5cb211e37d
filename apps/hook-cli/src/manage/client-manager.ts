import {
  API_ROUTES,
  openvpnAdmitRequestSchema,
  openvpnAdmitResponseSchema,
  openvpnAuthRequestSchema,
  type OpenvpnAdmitResponse,
} from '@tunnelgate/sessions';
import {
  clientAuth,
  clientDeny,
  type ClientEnv,
  type ManagementEvent,
} from '@tunnelgate/openvpn-management';
import { postJson, type ApiOutcome, type ApiTarget } from '../api/api-client';
import { withAttempts } from '../api/with-attempts';
import type { ManageConfig } from './manage-config';

type AuthRequest = Extract<ManagementEvent, { kind: 'client-auth-request' }>;
type Disconnect = Extract<ManagementEvent, { kind: 'client-disconnect' }>;

/** What the manager remembers of a client it admitted, to report its end. */
type Admitted = Pick<OpenvpnAdmitResponse, 'sessionId' | 'vpnIp' | 'commonName' | 'connectedAt'> & {
  username: string;
};

export interface ManagerLog {
  (line: Record<string, unknown>): void;
}

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
  private readonly target: ApiTarget;

  constructor(
    private readonly config: ManageConfig,
    token: string,
    private readonly send: (command: string) => boolean,
    private readonly log: ManagerLog,
  ) {
    this.target = { baseUrl: config.apiUrl, token, timeoutMs: config.timeoutMs };
  }

  /** OpenVPN restarted or the socket dropped: the cids it gave are meaningless from now on. */
  detached(): void {
    this.admitted.clear();
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
      case 'garbage':
        this.log({ level: 'warn', outcome: 'ignored', reason: `management: ${event.reason}` });
        return;
      default:
        return;
    }
  }

  private call(path: string, body: unknown): Promise<{ outcome: ApiOutcome; attempts: number }> {
    return withAttempts(this.config, () => postJson(this.target, path, body));
  }

  private deny(event: AuthRequest, reason: string, client: string, started: number): void {
    this.send(clientDeny(event.cid, event.kid, reason, client));
    this.log({
      level: 'warn',
      hook: event.event === 'CONNECT' ? 'client-connect' : 'reauth',
      outcome: 'rejected',
      client: event.env.values.get('username'),
      elapsedMs: Date.now() - started,
      reason,
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
    const { outcome, attempts } = await this.call(API_ROUTES.openvpnAdmit, request.data);
    const answer =
      outcome.kind === 'ok' ? openvpnAdmitResponseSchema.safeParse(outcome.body) : undefined;
    if (!answer?.success)
      return this.deny(
        event,
        answer ? 'admit answer does not match the contract' : describe(outcome),
        clientReason(outcome),
        started,
      );
    const session = answer.data;
    if (!this.send(clientAuth(event.cid, event.kid, session.config))) {
      // Detached between the question and the answer: the client is not admitted, so its session
      // must not stay.
      await this.closeSession({ ...session, username: request.data.username }, 0, 0, 0);
      return;
    }
    this.admitted.set(event.cid, { ...session, username: request.data.username });
    this.log({
      level: 'info',
      hook: 'client-connect',
      outcome: 'admitted',
      client: session.commonName,
      vpnIp: session.vpnIp,
      attempts,
      elapsedMs: Date.now() - started,
      sessionId: session.sessionId,
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
    const { outcome } = await this.call(API_ROUTES.openvpnAuth, request.data);
    if (outcome.kind !== 'ok')
      return this.deny(event, describe(outcome), clientReason(outcome), started);
    this.send(clientAuth(event.cid, event.kid, []));
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
