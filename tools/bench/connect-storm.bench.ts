// Load check: 1,000 OpenVPN clients connecting at once (a relay restart storm) against a real
// tunnel-api process (dist/, SQLite, real iptables) inside a fresh network namespace. Prints how
// many were admitted, p50/p99 connect latency, the total time, and how many firewall syncs the
// storm cost (they coalesce). Needs root and a build (npx nx build tunnel-api).
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/connect-storm.bench.ts [clients=1000]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aDevice, anAccount } from '@tunnelgate/sessions/testing';
import { SqliteStore } from '@tunnelgate/store';

const CLIENTS = Number(process.argv[2] ?? 1000);
const T = new Date().toISOString();
const TOKEN = 'storm-bench-token-0123456789';
const MAIN = join(__dirname, '../../dist/apps/tunnel-api/main.js');

/** Runs inside the namespace: fires every connect at once and reports each one's latency. */
const STORM = `
const http = require('node:http');
const n = Number(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const started = performance.now();
const one = (i) => new Promise((resolve) => {
  const body = JSON.stringify({ username: 'u' + i, commonName: 'u' + i, vpnIp: '10.9.' + Math.floor(i / 250) + '.' + (2 + (i % 250)),
    realIp: '203.0.113.9', realPort: 10000 + i, connectedAt: ${JSON.stringify(T)} });
  const t0 = performance.now();
  const req = http.request({ host: '127.0.0.1', port: 8081, path: '/v1/openvpn/connect', method: 'POST', agent,
    headers: { 'content-type': 'application/json', authorization: 'Bearer ${TOKEN}' } }, (res) => {
    res.resume(); res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
  });
  req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
  req.end(body);
});
Promise.all(Array.from({ length: n }, (_, i) => one(i))).then((results) => {
  console.log(JSON.stringify({ totalMs: performance.now() - started, results }));
  agent.destroy();
});`;

async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespace, iptables)');
  const ns = `tgstorm${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'storm-'));
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  const inside = (args: string[]) =>
    execFileSync('ip', ['netns', 'exec', ns, ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  let api: ReturnType<typeof spawn> | undefined;
  try {
    writeFileSync(join(dir, 'token'), TOKEN, { mode: 0o600 });
    const store = new SqliteStore({ path: join(dir, 'relay.db') });
    await store.devices.put(
      aDevice({ id: 'dev-1', vpnIp: '192.168.255.10', basePort: 20000, lastSeenAt: T }),
    );
    for (let i = 0; i < CLIENTS; i++) {
      await store.accounts.create(
        anAccount({ id: `a${i}`, username: `u${i}`, deviceId: 'dev-1', protocols: ['openvpn'] }),
      );
    }
    await store.close();
    api = spawn('ip', ['netns', 'exec', ns, process.execPath, MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        TUNNELGATE_STORE: `sqlite:${join(dir, 'relay.db')}`,
        TUNNELGATE_API_TOKEN_FILE: join(dir, 'token'),
        TUNNELGATE_FIREWALL: 'iptables',
        TUNNELGATE_CUSTOMER_SUBNET: '10.9.0.0/16',
        TUNNELGATE_LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
    const probe =
      "fetch('http://127.0.0.1:8081/readyz').then((r) => console.log(r.status), () => console.log(0))";
    for (let i = 0; i < 100 && inside([process.execPath, '-e', probe]).trim() !== '200'; i++)
      await new Promise((r) => setTimeout(r, 200));
    const syncs = () =>
      Number(
        /^tunnelgate_firewall_sync_duration_seconds_count\{[^}]*\} (\d+)/m.exec(
          inside([
            process.execPath,
            '-e',
            "fetch('http://127.0.0.1:8081/metrics').then(r=>r.text()).then(console.log)",
          ]),
        )?.[1] ?? NaN,
      );
    const syncsBefore = syncs();
    const { totalMs, results } = JSON.parse(
      inside([process.execPath, '-e', STORM, String(CLIENTS)]),
    ) as { totalMs: number; results: { status: number; ms: number }[] };
    const admitted = results.filter((r) => r.status === 200).length;
    const times = results.map((r) => r.ms).sort((a, b) => a - b);
    const at = (q: number) =>
      times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
    const rules = (inside(['iptables-save', '-t', 'nat']).match(/tunnelgate:session:/g) ?? [])
      .length;
    console.log(
      `connect storm: ${CLIENTS} clients at once, real tunnel-api + SQLite + iptables (${process.version})`,
    );
    console.log(`admitted ${admitted}/${CLIENTS}; REDIRECT rules in the kernel: ${rules}`);
    console.log(
      `latency p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms; all done in ${totalMs.toFixed(0)} ms`,
    );
    console.log(
      `firewall syncs for the storm: ${syncs() - syncsBefore} (coalesced; one per connect would be ${CLIENTS})`,
    );
  } finally {
    api?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
