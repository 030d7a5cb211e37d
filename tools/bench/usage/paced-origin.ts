import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const TICK_MS = 20;
const block = Buffer.alloc(1024 * 1024, 120);

/**
 * The origin: `/bytes/N?rate=R` answers N bytes at most R bytes a second (no `rate`: as fast as
 * the client takes them), then closes. A paced answer that meets backpressure (a tunnel waiting
 * for its lease) waits, and does not catch up afterwards.
 */
export class PacedOrigin {
  private server: Server | undefined;

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://origin');
      const size = /^\/bytes\/(\d+)$/.exec(url.pathname)?.[1];
      if (!size) return void res.writeHead(404).end();
      let left = Number(size);
      const rate = Number(url.searchParams.get('rate') ?? 0);
      res.writeHead(200, { 'content-length': left, connection: 'close' });
      const write = (bytes: number): boolean => {
        let ok = true;
        while (bytes > 0 && left > 0 && ok) {
          const part = block.subarray(0, Math.min(bytes, left, block.length));
          left -= part.length;
          bytes -= part.length;
          ok = res.write(part);
        }
        if (left === 0) res.end();
        return ok;
      };
      if (!rate) {
        const pump = () => void (write(Infinity) || res.once('drain', pump));
        return pump();
      }
      let draining = false;
      const timer = setInterval(() => {
        if (left === 0) return clearInterval(timer);
        if (draining) return;
        if (!write(Math.round((rate * TICK_MS) / 1000))) {
          draining = true;
          res.once('drain', () => (draining = false));
        }
      }, TICK_MS);
      res.once('close', () => clearInterval(timer));
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return this;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
