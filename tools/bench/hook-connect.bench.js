// Benchmark: wall time of one OpenVPN client-connect hook run, process start included, against
// a local API that answers at once. tunnelgate's hook (sync and deferred) next to the original
// relay's approach, a sh script calling wget, run in the same script on the same machine.
//
//   node tools/bench/hook-connect.bench.js [runs=200]
//
// Needs the built hook (npx nx build hook-cli) and wget. Prints p50/p99 per variant and the
// ratio to the baseline. NODE_EXTRA_CA_CERTS (set on this machine, adds ~70-110 ms to every
// Node start) is measured both ways: OpenVPN's environment should not carry it.
const { spawn } = require('node:child_process');
const { createServer } = require('node:http');
const { mkdtempSync, rmSync, writeFileSync, chmodSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const RUNS = Number(process.argv[2] ?? 200);
const HOOK = join(__dirname, '../../dist/apps/hook-cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'hook-bench-'));

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sessionId: 'bench', config: [] }));
  });
});

// What the original relay's client-connect did, minus its `|| true` (which admitted everyone).
const BASELINE = join(dir, 'client-connect.sh');
writeFileSync(
  BASELINE,
  `#!/bin/sh
wget -q -T 5 -O /dev/null --header='content-type: application/json' \\
  --post-data="{\\"username\\":\\"$username\\",\\"commonName\\":\\"$common_name\\",\\"vpnIp\\":\\"$ifconfig_pool_remote_ip\\"}" \\
  "$TUNNELGATE_API_URL/v1/openvpn/connect"
`,
);
chmodSync(BASELINE, 0o755);

function once(file, args, env) {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${file} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function measure(name, file, args, env) {
  const times = [];
  for (let i = 0; i < RUNS; i++)
    times.push(await once(file, typeof args === 'function' ? args(i) : args, env));
  times.sort((a, b) => a - b);
  return { name, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

async function main() {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const env = {
    PATH: process.env.PATH,
    script_type: 'client-connect',
    username: 'alice',
    common_name: 'alice',
    ifconfig_pool_remote_ip: '10.9.0.6',
    trusted_ip: '203.0.113.9',
    trusted_port: '51000',
    time_unix: String(Math.floor(Date.now() / 1000)),
    TUNNELGATE_API_URL: `http://127.0.0.1:${server.address().port}`,
  };
  const withCa = process.env.NODE_EXTRA_CA_CERTS
    ? { ...env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }
    : null;
  const ccd = join(dir, 'ccd');
  const deferredEnv = { ...env, client_connect_deferred_file: join(dir, 'deferred') };

  const rows = [];
  rows.push(await measure('baseline: sh + wget', BASELINE, [], env));
  rows.push(await measure('node -e 0 (floor)', process.execPath, ['-e', '0'], env));
  rows.push(await measure('hook-cli, synchronous', HOOK, ['--sync', ccd], env));
  rows.push(await measure('hook-cli, deferred (OpenVPN waits)', HOOK, [ccd], deferredEnv));
  if (withCa)
    rows.push(
      await measure('hook-cli, sync, NODE_EXTRA_CA_CERTS set', HOOK, ['--sync', ccd], withCa),
    );
  // The deferred worker finishes in the background; let the last ones land before cleaning up.
  await new Promise((r) => setTimeout(r, 500));
  if (readFileSync(deferredEnv.client_connect_deferred_file, 'utf8') !== '1')
    throw new Error('deferred run did not admit');

  const base = rows[0].p50;
  console.log(
    `client-connect wall time, ${RUNS} runs each, process start included (node ${process.version})`,
  );
  console.log(
    'variant'.padEnd(42),
    'p50 ms'.padStart(8),
    'p99 ms'.padStart(8),
    'p50 / baseline'.padStart(16),
  );
  for (const row of rows) {
    console.log(
      row.name.padEnd(42),
      row.p50.toFixed(1).padStart(8),
      row.p99.toFixed(1).padStart(8),
      (row.p50 / base).toFixed(2).padStart(16),
    );
  }
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
