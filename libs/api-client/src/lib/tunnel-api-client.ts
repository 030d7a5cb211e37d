import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as TlsAgent, request as tlsRequest } from 'node:https';
import {
  accountPageSchema,
  accountUsageSchema,
  API_ROUTES,
  byteLeaseReleaseResponseSchema,
  byteLeaseResponseSchema,
  clientSessionSchema,
  connectionSlotsResponseSchema,
  proxyAuthResponseSchema,
  publicAccountSchema,
  publicDeviceSchema,
  readinessSchema,
  usageReportResponseSchema,
  type AccountCreateRequest,
  type AccountUpdateRequest,
  type AccountUsage,
  type ByteLeaseRequest,
  type ByteLeaseResponse,
  type ClientSession,
  type ConnectionSlotsRequest,
  type ConnectionSlotsResponse,
  type DeviceUpsertRequest,
  type Page,
  type PublicAccount,
  type PublicDevice,
  type ProxyAuthRequest,
  type Readiness,
  type SessionFilter,
  type UsageReportRequest,
  type UsageReportResponse,
} from '@tunnelgate/sessions';
import * as z from 'zod/mini';
import { ApiRefusal, ApiUnavailable, outcomeError } from './api-outcome';
import { requestApi, type ApiCall, type ApiTarget } from './http-transport';

export interface ClientOptions {
  baseUrl: string;
  token: string | undefined;
  timeoutMs: number;
  /** Keep a few connections open between calls (gateways call often; a CLI once). */
  keepAlive?: boolean;
  maxResponseBytes?: number;
}

const segment = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * tunnel-api's HTTP API, typed from the shared contract: every answer is parsed with the schema
 * its route documents, so a drift between the two fails loudly at the caller. A refusal (4xx)
 * throws ApiRefusal; an outage, a 5xx or an answer off-contract throws ApiUnavailable.
 */
export class TunnelApiClient {
  private readonly target: ApiTarget;

  constructor(private readonly options: ClientOptions) {
    const tls = options.baseUrl.startsWith('https:');
    // A few idle connections, closed after 4 s: below the usual 5 s server keep-alive, so a
    // request never races the server closing the connection it reuses.
    const pool = { keepAlive: true, maxFreeSockets: 4, timeout: 4000 };
    this.target = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      token: options.token,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      ...(options.keepAlive && { agent: tls ? new TlsAgent(pool) : new Agent(pool) }),
    };
  }

  get baseUrl(): string {
    return this.target.baseUrl;
  }

  // --- accounts

  createAccount(body: AccountCreateRequest): Promise<PublicAccount> {
    return this.json(publicAccountSchema, { method: 'POST', path: API_ROUTES.accounts, body });
  }

  listAccounts(page: { limit?: number; cursor?: string } = {}): Promise<Page<PublicAccount>> {
    return this.json(accountPageSchema, {
      method: 'GET',
      path: `${API_ROUTES.accounts}${query(page)}`,
    });
  }

  /** Every account, page after page. */
  async allAccounts(): Promise<PublicAccount[]> {
    const all: PublicAccount[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listAccounts({ limit: 1000, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  getAccount(id: string): Promise<PublicAccount> {
    return this.json(publicAccountSchema, { method: 'GET', path: this.account(id) });
  }

  updateAccount(id: string, body: AccountUpdateRequest): Promise<PublicAccount> {
    return this.json(publicAccountSchema, { method: 'PATCH', path: this.account(id), body });
  }

  setPassword(id: string, password: string): Promise<PublicAccount> {
    return this.json(publicAccountSchema, {
      method: 'PUT',
      path: `${this.account(id)}/password`,
      body: { password },
    });
  }

  async deleteAccount(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: this.account(id) });
  }

  accountUsage(id: string): Promise<AccountUsage> {
    return this.json(accountUsageSchema, { method: 'GET', path: `${this.account(id)}/usage` });
  }

  resetUsage(id: string): Promise<PublicAccount> {
    return this.json(publicAccountSchema, {
      method: 'POST',
      path: `${this.account(id)}/usage/reset`,
    });
  }

  /** The account's OpenVPN client profile (an .ovpn file; no credentials inside). */
  async openvpnProfile(id: string): Promise<string> {
    const body = await this.call({
      method: 'GET',
      path: `${this.account(id)}/openvpn-profile`,
      accept: 'text',
    });
    return String(body);
  }

  // --- devices

  upsertDevice(id: string, body: DeviceUpsertRequest): Promise<PublicDevice> {
    return this.json(publicDeviceSchema, { method: 'PUT', path: this.device(id), body });
  }

  listDevices(): Promise<PublicDevice[]> {
    return this.json(z.array(publicDeviceSchema), { method: 'GET', path: API_ROUTES.devices });
  }

  getDevice(id: string): Promise<PublicDevice> {
    return this.json(publicDeviceSchema, { method: 'GET', path: this.device(id) });
  }

  /** Reports the device's tunnel up (`connected`), alive (`heartbeat`) or down (`disconnected`). */
  reportDevice(
    id: string,
    event: 'connected' | 'heartbeat' | 'disconnected',
  ): Promise<PublicDevice> {
    return this.json(publicDeviceSchema, { method: 'POST', path: `${this.device(id)}/${event}` });
  }

  async deleteDevice(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: this.device(id) });
  }

  // --- sessions

  listSessions(filter: SessionFilter = {}): Promise<ClientSession[]> {
    return this.json(z.array(clientSessionSchema), {
      method: 'GET',
      path: `${API_ROUTES.sessions}${query(filter)}`,
    });
  }

  getSession(id: string): Promise<ClientSession> {
    return this.json(clientSessionSchema, {
      method: 'GET',
      path: `${API_ROUTES.sessions}/${segment(id)}`,
    });
  }

  kickSession(id: string): Promise<ClientSession> {
    return this.json(clientSessionSchema, {
      method: 'POST',
      path: `${API_ROUTES.sessions}/${segment(id)}/kick`,
    });
  }

  // --- health

  /** Ready or not, with the failing check: a 503 here is an answer, not an outage. */
  async readiness(): Promise<Readiness> {
    const outcome = await requestApi(this.target, { method: 'GET', path: API_ROUTES.readyz });
    const body =
      outcome.kind === 'ok' || outcome.kind === 'server-error' ? outcome.body : undefined;
    const parsed = readinessSchema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw outcome.kind === 'ok'
      ? this.offContract(outcome.status, parsed.error)
      : outcomeError(outcome);
  }

  // --- gateways

  async proxyAuth(body: ProxyAuthRequest, requestId?: string): Promise<string> {
    const answer = await this.json(proxyAuthResponseSchema, {
      method: 'POST',
      path: API_ROUTES.proxyAuth,
      body,
      requestId,
    });
    return answer.accountId;
  }

  reportUsage(body: UsageReportRequest): Promise<UsageReportResponse> {
    return this.json(usageReportResponseSchema, {
      method: 'POST',
      path: API_ROUTES.usage,
      body,
      requestId: body.id,
    });
  }

  leaseBytes(body: ByteLeaseRequest): Promise<ByteLeaseResponse> {
    return this.json(byteLeaseResponseSchema, {
      method: 'POST',
      path: API_ROUTES.usageLeases,
      body,
    });
  }

  async releaseLease(accountId: string, holder: string): Promise<void> {
    await this.json(byteLeaseReleaseResponseSchema, {
      method: 'POST',
      path: API_ROUTES.usageLeaseRelease,
      body: { accountId, holder },
    });
  }

  holdSlots(body: ConnectionSlotsRequest): Promise<ConnectionSlotsResponse> {
    return this.json(connectionSlotsResponseSchema, {
      method: 'POST',
      path: API_ROUTES.connectionSlots,
      body,
    });
  }

  /** The active session on a VPN IP (a fresh lookup when the watch has not shown it yet). */
  async sessionByVpnIp(vpnIp: string): Promise<ClientSession | undefined> {
    return (await this.listSessions({ vpnIp }))[0];
  }

  /**
   * Opens the NDJSON watch (`query` as the watch route takes it); the caller reads lines from
   * the answer. The deadline covers the answer's head only: the stream itself lasts for hours.
   */
  openWatch(search: string): Promise<IncomingMessage> {
    const url = new URL(`${API_ROUTES.watch}${search}`, `${this.target.baseUrl}/`);
    const send = url.protocol === 'https:' ? tlsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'GET',
          headers: this.target.token ? { authorization: `Bearer ${this.target.token}` } : {},
        },
        (res) => {
          if (res.statusCode === 200) return resolve(res);
          res.resume();
          const status = res.statusCode ?? 0;
          reject(new ApiRefusal(status, `HTTP_${status}`, `watch answered ${status}`));
        },
      );
      req.setTimeout(this.target.timeoutMs, () =>
        req.destroy(new Error('tunnel-api did not answer the watch')),
      );
      req.on('response', () => req.setTimeout(0));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.target.agent?.destroy();
  }

  private account(id: string): string {
    return `${API_ROUTES.accounts}/${segment(id)}`;
  }

  private device(id: string): string {
    return `${API_ROUTES.devices}/${segment(id)}`;
  }

  private async call(call: ApiCall): Promise<unknown> {
    const outcome = await requestApi(this.target, call);
    if (outcome.kind !== 'ok') throw outcomeError(outcome);
    return outcome.body;
  }

  private async json<S extends z.ZodMiniType>(schema: S, call: ApiCall): Promise<z.output<S>> {
    const body = await this.call(call);
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw this.offContract(200, parsed.error);
    return parsed.data;
  }

  private offContract(status: number, error: z.core.$ZodError): ApiUnavailable {
    return new ApiUnavailable({
      kind: 'bad-response',
      status,
      message: `tunnel-api answered off its contract: ${z.prettifyError(error)}`,
    });
  }
}
