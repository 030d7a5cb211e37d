import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SeenRequest {
  path: string;
  clientAddress: string;
  headers: IncomingHttpHeaders;
}

/** A self-signed certificate for `names` (EC: made in milliseconds). */
export function selfSigned(names: string[]): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
        headers: req.headers,
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
