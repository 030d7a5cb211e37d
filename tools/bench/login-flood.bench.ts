// Latency of a legitimate login while 1,000 wrong passwords arrive at once, against a real
// tunnel-api process (dist/, SQLite): first with no flood (the baseline), then a flood from one
// address, then one from 1,000 addresses. Legitimate logins are measured while each flood runs:
// customers logging in for the first time from a new address, customers logging in again from
// an address they used before, and OpenVPN customers. Prints p50 and max per kind, their ratio
// to the baseline, and what became of the guesses. Needs a build (npx nx build tunnel-api).
//
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/login-flood.bench.ts [guesses=1000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@tunnelgate/netns-testing';

const GUESSES = Number(process.argv[2] ?? 1000);
const TOKEN = 'login-flood-bench-token-0123456789';
const PASSWORD = 'correct horse battery';
const MAIN = join(__dirname, '../../dist/apps/tunnel-api/main.js');
const SAMPLES = 15;
// Enough sockets that the whole flood is in flight at once, as from many clients.
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

let port = 0;
let base = '';
function call(
  path: string,
  body: unknown,
  method = 'POST',
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      },
      (res) =>
        res
          .resume()
          .once('end', () =>
            resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }),
          ),
    );
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

const proxyLogin = (username: string, password: string, clientIp: string) =>
  call('/v1/proxy/auth', { username, password, protocol: 'http', clientIp });
const openvpnLogin = (username: string, clientIp: string) =>
  call('/v1/openvpn/auth', { username, password: PASSWORD, realIp: clientIp });

let fresh = 0;
/** One login of each kind, one after another, until the flood is over (or SAMPLES each). */
async function legitimate(until: Promise<unknown>) {
  const kinds = { first: [] as number[], known: [] as number[], openvpn: [] as number[] };
  let over = false;
  void until.then(() => (over = true));
  for (let i = 0; i < SAMPLES && !over; i++) {
    const id = fresh++;
    const first = await proxyLogin(`user${id}`, PASSWORD, `203.0.113.${id % 250}`);
    const known = await proxyLogin('regular', PASSWORD, '192.0.2.10');
    const openvpn = await openvpnLogin('vpnuser', '192.0.2.20');
    if ([first, known, openvpn].some((a) => a.status !== 200))
      throw new Error(`a legitimate login failed: ${[first, known, openvpn].map((a) => a.status)}`);
    kinds.first.push(first.ms);
    kinds.known.push(known.ms);
    kinds.openvpn.push(openvpn.ms);
  }
  return kinds;
}

/** The guesses, from a process of their own so that sending them does not slow the
 * measurement; resolves with how they were answered. */
const FLOOD = `
const http = require('node:http');
const [port, token, guesses, spread] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const statuses = {};
const started = performance.now();
let left = Number(guesses);
for (let i = 0; i < Number(guesses); i++) {
  const clientIp = spread === 'one' ? '198.51.100.66' : '198.18.' + (i >> 8) + '.' + (i & 255);
  const req = http.request({ host: '127.0.0.1', port, path: '/v1/proxy/auth', method: 'POST', agent,
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } }, (res) => {
      res.resume().once('end', () => {
        statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
        if (--left === 0) {
          process.stdout.write(JSON.stringify({ statuses, ms: performance.now() - started }));
          process.exit(0);
        }
      });
    });
  req.end(JSON.stringify({ username: 'victim' + (i % 50), password: 'guess ' + i, protocol: 'http', clientIp }));
}
`;

function flood(spread: 'one' | 'many'): Promise<{ statuses: Record<string, number>; ms: number }> {
  const child = spawn(process.execPath, [
    '-e',
    FLOOD,
    String(port),
    TOKEN,
    String(GUESSES),
    spread,
  ]);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood exited ${code}`)),
    ),
  );
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const p50 = (values: number[]) => sorted(values)[values.length >> 1] ?? NaN;
const max = (values: number[]) => sorted(values).at(-1) ?? NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'login-flood-'));
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'token'), TOKEN, { mode: 0o600 });
  const api = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'],
      TUNNELGATE_API_LISTEN: `127.0.0.1:${port}`,
      TUNNELGATE_STORE: `sqlite:${join(dir, 'store.db')}`,
      TUNNELGATE_API_TOKEN_FILE: join(dir, 'token'),
      TUNNELGATE_FIREWALL: 'off',
      TUNNELGATE_LOG_LEVEL: 'error',
    },
    stdio: 'inherit',
  });
  try {
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, 'tunnel-api');
    const put = await call('/v1/devices/phone', { name: 'phone', vpnIp: '192.168.255.2' }, 'PUT');
    if (put.status !== 200) throw new Error(`device: ${put.status}`);
    await call('/v1/devices/phone/connected', {});
    const users = [
      'regular',
      'vpnuser',
      ...Array.from({ length: 4 * SAMPLES }, (_, i) => `user${i}`),
    ];
    for (const username of users) {
      const created = await call('/v1/accounts', {
        username,
        password: PASSWORD,
        deviceId: 'phone',
      });
      if (created.status !== 201) throw new Error(`account ${username}: ${created.status}`);
    }
    // The regular customer's address becomes a known one.
    await proxyLogin('regular', PASSWORD, '192.0.2.10');

    const rows: [string, Awaited<ReturnType<typeof legitimate>>, string][] = [];
    const idle = new Promise(() => undefined);
    rows.push(['no flood (baseline)', await legitimate(idle), '']);
    for (const [name, spread] of [
      [`${GUESSES} guesses, one address`, 'one'],
      [`${GUESSES} guesses, ${GUESSES} addresses`, 'many'],
    ] as const) {
      const running = flood(spread);
      const measured = await legitimate(running);
      const { statuses, ms } = await running;
      const answers = Object.entries(statuses)
        .map(([status, n]) => `${n}×${status}`)
        .join(' ');
      rows.push([name, measured, `guesses answered in ${ms.toFixed(0)} ms: ${answers}`]);
    }

    const baseline = rows[0]?.[1];
    console.log(`login latency (ms, p50 / max) during a flood of ${GUESSES} wrong passwords`);
    for (const [name, kinds, note] of rows) {
      const cell = (kind: keyof typeof kinds) => {
        const ratio = baseline ? p50(kinds[kind]) / p50(baseline[kind]) : NaN;
        return `${kind} ${p50(kinds[kind]).toFixed(0)} / ${max(kinds[kind]).toFixed(0)} (×${ratio.toFixed(1)}, n=${kinds[kind].length})`;
      };
      console.log(`  ${name}: ${cell('first')}; ${cell('known')}; ${cell('openvpn')}`);
      if (note) console.log(`    ${note}`);
    }
  } finally {
    api.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
