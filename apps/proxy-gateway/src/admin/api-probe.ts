import { request } from 'node:http';
import { request as requestTls } from 'node:https';

/**
 * Asks tunnel-api's /healthz whether it answers. node:http rather than fetch: fetch lazily loads
 * undici (~200 ms) and this runs on every readiness probe.
 */
export function probeApi(apiUrl: string, timeoutMs: number): Promise<string | undefined> {
  const url = new URL('/healthz', apiUrl);
  const send = url.protocol === 'https:' ? requestTls : request;
  return new Promise((resolve) => {
    const req = send(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `tunnel-api answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve(`tunnel-api unreachable: ${error.message}`));
    req.end();
  });
}
