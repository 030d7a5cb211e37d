import { Agent, request, type IncomingMessage } from 'node:http';
import { Agent as TlsAgent, request as requestTls } from 'node:https';
import {
  API_ROUTES,
  byteLeaseResponseSchema,
  clientSessionSchema,
  connectionSlotsResponseSchema,
  proxyAuthResponseSchema,
  REQUEST_ID_HEADER,
  usageReportResponseSchema,
  type ByteLeaseRequest,
  type ByteLeaseResponse,
  type ClientSession,
  type ConnectionSlotsRequest,
  type ConnectionSlotsResponse,
  type ProxyAuthRequest,
  type UsageReportRequest,
  type UsageReportResponse,
} from '@tunnelgate/sessions';
import * as z from 'zod/mini';

/** An answer tunnel-api gave on purpose (a 4xx with its error body), as opposed to an outage. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * tunnel-api's internal API as the gateway uses it. node:http with a keep-alive agent: auth checks
 * and usage reports are small and frequent, and fetch would add a lazy undici load.
 */
export class ApiClient {
  private readonly agent: Agent;
  private readonly send: typeof request;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    const tls = baseUrl.startsWith('https:');
    // A few idle connections, closed after 4 s: below the usual 5 s server keep-alive, so a
    // request never races the server closing the connection it reuses.
    const pool = { keepAlive: true, maxFreeSockets: 4, timeout: 4000 };
    this.agent = tls ? new TlsAgent(pool) : new Agent(pool);
    this.send = tls ? requestTls : request;
  }

  async proxyAuth(body: ProxyAuthRequest, requestId?: string): Promise<string> {
    const answer = await this.json('POST', API_ROUTES.proxyAuth, body, requestId);
    return proxyAuthResponseSchema.parse(answer).accountId;
  }

  async reportUsage(body: UsageReportRequest): Promise<UsageReportResponse> {
    return usageReportResponseSchema.parse(
      await this.json('POST', API_ROUTES.usage, body, body.id),
    );
  }

  async leaseBytes(body: ByteLeaseRequest): Promise<ByteLeaseResponse> {
    return byteLeaseResponseSchema.parse(await this.json('POST', API_ROUTES.usageLeases, body));
  }

  async holdSlots(body: ConnectionSlotsRequest): Promise<ConnectionSlotsResponse> {
    return connectionSlotsResponseSchema.parse(
      await this.json('POST', API_ROUTES.connectionSlots, body),
    );
  }

  async releaseLease(accountId: string, holder: string): Promise<void> {
    await this.json('POST', API_ROUTES.usageLeaseRelease, { accountId, holder });
  }

  /** The active session on a VPN IP (a fresh lookup when the watch has not shown it yet). */
  async sessionByVpnIp(vpnIp: string): Promise<ClientSession | undefined> {
    const answer = await this.json(
      'GET',
      `${API_ROUTES.sessions}?vpnIp=${encodeURIComponent(vpnIp)}`,
    );
    return z.array(clientSessionSchema).parse(answer)[0];
  }

  /** Opens the NDJSON watch; the caller reads lines from the response. */
  openStream(path: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.send(
        new URL(path, this.baseUrl),
        { method: 'GET', headers: { authorization: `Bearer ${this.token}` } },
        (res) => {
          if (res.statusCode === 200) return resolve(res);
          res.resume();
          reject(
            new ApiRefusal(
              res.statusCode ?? 0,
              `HTTP_${res.statusCode}`,
              `watch answered ${res.statusCode}`,
            ),
          );
        },
      );
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error('tunnel-api did not answer the watch')),
      );
      req.on('response', () => req.setTimeout(0));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private json(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    requestId?: string,
  ): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = this.send(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(requestId && { [REQUEST_ID_HEADER]: requestId }),
            ...(payload && {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
            }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              return reject(new Error(`tunnel-api answered ${res.statusCode} with no JSON`));
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed);
            const error = errorBodySchema.safeParse(parsed);
            if (status >= 400 && status < 500 && error.success)
              return reject(
                new ApiRefusal(status, error.data.error.code, error.data.error.message),
              );
            reject(new Error(`tunnel-api answered ${status}`));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`tunnel-api did not answer within ${this.timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
