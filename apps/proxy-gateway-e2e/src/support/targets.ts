import { selfSigned } from '@tunnelgate/netns-testing';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  path: string;
  clientAddress: string;
  /** Which of the origin's connections served it (the client side's port). */
  clientPort: number;
  headers: IncomingHttpHeaders;
  /** That connection, to see when it closes. */
  socket: Socket;
}

/**
 * HTTP and HTTPS origin servers that record who asked what. `/bytes/N` answers N bytes, so a
 * test can pull a download of any size; anything else answers `hello from <path>`.
 */
export class Targets {
  readonly seen: SeenRequest[] = [];
  http!: Server;
  https!: Server;

  async start(host = '127.0.0.1'): Promise<this> {
    const handler = (
      req: import('node:http').IncomingMessage,
      res: import('node:http').ServerResponse,
    ) => {
      this.seen.push({
        path: req.url ?? '',
        clientAddress: req.socket.remoteAddress ?? '',
        clientPort: req.socket.remotePort ?? 0,
        headers: req.headers,
        socket: req.socket,
      });
      const size = /^\/bytes\/(\d+)$/.exec(req.url ?? '')?.[1];
      if (size) {
        res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
        const block = Buffer.alloc(64 * 1024, 'x');
        let left = Number(size);
        const pump = () => {
          while (left > 0) {
            const part = block.subarray(0, Math.min(left, block.length));
            left -= part.length;
            if (!res.write(part)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${req.url}`);
    };
    this.http = createHttpServer(handler);
    this.https = createHttpsServer(selfSigned(['target.test', 'localhost']), handler);
    await Promise.all(
      [this.http, this.https].map((s) => new Promise<void>((r) => s.listen(0, host, () => r()))),
    );
    return this;
  }

  get httpPort(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get httpsPort(): number {
    return (this.https.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const server of [this.http, this.https]) server.closeAllConnections();
    await Promise.all([this.http, this.https].map((s) => new Promise((r) => s.close(r))));
  }
}
