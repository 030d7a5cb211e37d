import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in for tunnel-api answers one request. */
export type Reply =
  | { status: number; body: unknown }
  | { raw: string; status?: number }
  | { afterMs: number; then: Reply }
  | 'hang'
  | 'truncated';

export interface SeenRequest {
  path: string;
  authorization: string | undefined;
  requestId: string | string[] | undefined;
  body: unknown;
  at: number;
}

/**
 * A real HTTP server playing tunnel-api: answers from a script of replies (the last one repeats)
 * and records every request it saw, so tests count the hook's attempts on the wire.
 */
export class FakeApi {
  readonly seen: SeenRequest[] = [];
  private script: Reply[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  replies(...script: Reply[]): this {
    this.script = script;
    this.seen.length = 0;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        body = undefined;
      }
      this.seen.push({
        path: req.url ?? '',
        authorization: req.headers.authorization,
        requestId: req.headers['x-request-id'],
        body,
        at: Date.now(),
      });
      this.answer(res, this.script.length > 1 ? this.script.shift() : this.script[0]);
    });
  }

  private answer(res: ServerResponse, reply: Reply | undefined): void {
    if (reply && typeof reply === 'object' && 'afterMs' in reply) {
      this.hanging.add(res);
      setTimeout(() => {
        this.hanging.delete(res);
        this.answer(res, reply.then);
      }, reply.afterMs);
      return;
    }
    if (!reply || reply === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (reply === 'truncated') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"sessionId":"s-1","conf');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if ('raw' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' }).end(reply.raw);
      return;
    }
    res
      .writeHead(reply.status, { 'content-type': 'application/json' })
      .end(JSON.stringify(reply.body));
  }
}
