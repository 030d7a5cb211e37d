import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HostPort } from '@tunnelgate/config';
import { API_ROUTES } from '@tunnelgate/sessions';

export interface Readiness {
  ready: boolean;
  /** Each check's name and 'ok', or what is wrong. */
  checks: Record<string, string>;
}

/** What the ops port shows: one process's numbers, or a whole cluster's. */
export interface AdminSources {
  readiness(): Promise<Readiness>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(sources: AdminSources, req: IncomingMessage, res: ServerResponse) {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET') return reply(res, 405, { error: 'only GET' });
  switch (path) {
    case API_ROUTES.healthz:
      return reply(res, 200, { status: 'ok' });
    case API_ROUTES.readyz: {
      const { ready, checks } = await sources.readiness();
      return reply(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
    }
    case API_ROUTES.metrics: {
      const { contentType, body } = await sources.metrics();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
      return;
    }
    default:
      return reply(res, 404, { error: 'not found' });
  }
}

/**
 * The gateway's ops port: /healthz (the process answers), /readyz and /metrics. A plain
 * node:http server: the gateway has no HTTP framework and this port sees a request every few
 * seconds.
 */
export function createAdminServer(sources: AdminSources): Server {
  return createServer((req, res) => {
    handle(sources, req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
}

export function listenAdmin(server: Server, { host, port }: HostPort): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
