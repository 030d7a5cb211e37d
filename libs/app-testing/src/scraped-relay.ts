import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, waitFor } from '@tunnelgate/netns-testing';
import { ROOT } from './tunnel-api-process';

/** The metric names a /metrics page exports (a histogram's series too), from its TYPE lines. */
export function exportedMetrics(page: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of page.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name as string);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

export const TUNNEL_API = 'http://127.0.0.1:8081';
export const GATEWAY_ADMIN = 'http://127.0.0.1:9091';

/**
 * The built tunnel-api (its firewall on) and a relay gateway with two workers (so its primary's
 * own series too), in a network namespace of their own on their default ports: what the
 * monitoring and the docs are checked against. Needs root.
 */
export class ScrapedRelay {
  private readonly dir = mkdtempSync(join(tmpdir(), 'scraped-relay-'));
  private readonly ns = new Netns();

  /** An answer from inside the namespace (the apps listen on its loopback): status, then body. */
  page(url: string): { status: number; body: string } {
    const text = this.ns.exec(process.execPath, [
      '-e',
      `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())), () => process.stdout.write('0\\n'))`,
    ]);
    const at = text.indexOf('\n');
    return { status: Number(text.slice(0, at)), body: text.slice(at + 1) };
  }

  /** Every metric both apps export. */
  metricNames(): Set<string> {
    return new Set(
      [`${TUNNEL_API}/metrics`, `${GATEWAY_ADMIN}/metrics`].flatMap((url) => [
        ...exportedMetrics(this.page(url).body),
      ]),
    );
  }

  async start(): Promise<this> {
    writeFileSync(join(this.dir, 'api-token'), 'scraped-relay-operator-token-0123456789', {
      mode: 0o600,
    });
    this.spawn('tunnel-api', {
      TUNNELGATE_STORE: `sqlite:${join(this.dir, 'store.db')}`,
      TUNNELGATE_API_TOKEN_FILE: join(this.dir, 'api-token'),
      TUNNELGATE_FIREWALL: 'iptables',
    });
    await waitFor(async () => this.page(`${TUNNEL_API}/readyz`).status === 200, 'tunnel-api');
    this.spawn('proxy-gateway', {
      TUNNELGATE_API_TOKEN_FILE: join(this.dir, 'gateway-token'),
      TUNNELGATE_GATEWAY_WORKERS: '2',
      TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN: 'off',
      TUNNELGATE_GATEWAY_ACCESS_LOG: 'off',
    });
    await waitFor(
      async () =>
        /tunnelgate_gateway_workers\{[^}]*\} 2/.test(this.page(`${GATEWAY_ADMIN}/metrics`).body),
      'both gateway workers',
    );
    return this;
  }

  remove(): void {
    this.ns.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(app: string, env: Record<string, string>): void {
    this.ns.spawn(process.execPath, [join(ROOT, 'dist/apps', app, 'main.js')], {
      PATH: process.env['PATH'],
      TUNNELGATE_LOG_LEVEL: 'error',
      ...env,
    });
  }
}
