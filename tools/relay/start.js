// Starts the relay on embedded defaults from dist/: tunnel-api, the relay's proxy-gateway, and a
// simulated phone (a second proxy-gateway in device mode on 127.0.0.2) with a local demo target;
// registers the phone and a demo account, prints the curl lines to try, and stops everything
// together (Ctrl-C, or one of them dying).
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '../..');
const env = process.env;
const API_URL = env.TUNNELGATE_API_URL ?? 'http://127.0.0.1:8081';
const TOKEN_FILE = env.TUNNELGATE_API_TOKEN_FILE ?? join(ROOT, 'data/api-token');
// tunnel-api writes the gateways' own token beside the operators' at its first start.
const GATEWAY_TOKEN_FILE = join(dirname(TOKEN_FILE), 'gateway-token');
const GATEWAY_ADMIN = env.TUNNELGATE_GATEWAY_ADMIN_LISTEN ?? '127.0.0.1:9091';
const HTTP_PROXY = env.TUNNELGATE_GATEWAY_HTTP_LISTEN ?? '0.0.0.0:3128';
const SOCKS_PROXY = env.TUNNELGATE_GATEWAY_SOCKS_LISTEN ?? '0.0.0.0:1080';
// The simulated phone: its proxies on a loopback address of their own, like a device VPN IP.
const PHONE = { vpnIp: '127.0.0.2', httpPort: 8080, socksPort: 11080 };
// A target that works without internet; the phone may reach it and nothing else local.
const TARGET = { host: '127.0.0.3', port: 8088 };

const apps = [
  {
    name: 'tunnel-api',
    main: 'dist/apps/tunnel-api/main.js',
    env: { TUNNELGATE_API_TOKEN_FILE: TOKEN_FILE },
    ready: `${API_URL}/readyz`,
  },
  {
    name: 'simulated phone',
    main: 'dist/apps/proxy-gateway/main.js',
    env: {
      TUNNELGATE_GATEWAY_MODE: 'device',
      // One phone, one process; the relay's own gateway runs a worker per core.
      TUNNELGATE_GATEWAY_WORKERS: '1',
      TUNNELGATE_GATEWAY_HTTP_LISTEN: `${PHONE.vpnIp}:${PHONE.httpPort}`,
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: `${PHONE.vpnIp}:${PHONE.socksPort}`,
      TUNNELGATE_GATEWAY_ADMIN_LISTEN: `${PHONE.vpnIp}:9091`,
      TUNNELGATE_GATEWAY_DIRECT_ALLOW: `${TARGET.host}/32`,
    },
    ready: `http://${PHONE.vpnIp}:9091/readyz`,
  },
  {
    name: 'proxy-gateway',
    main: 'dist/apps/proxy-gateway/main.js',
    env: { TUNNELGATE_API_TOKEN_FILE: GATEWAY_TOKEN_FILE },
    ready: `http://${GATEWAY_ADMIN}/readyz`,
  },
];

const children = [];
let stopping = false;
let heartbeat;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  clearInterval(heartbeat);
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  ).then(() => process.exit(code));
}

async function waitReady(url, deadline) {
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function api(method, path, body) {
  const token = readFileSync(TOKEN_FILE, 'utf8').trim();
  const res = await fetch(`${API_URL}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body && { 'content-type': 'application/json' }),
    },
    ...(body && { body: JSON.stringify(body) }),
  });
  if (!res.ok && res.status !== 404)
    throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 404 ? undefined : res.json();
}

/** The phone and a demo account bound to it, with a fresh password each start. */
async function registerDemo() {
  await api('PUT', '/v1/devices/demo-phone', { name: 'simulated phone', basePort: null, ...PHONE });
  await api('POST', '/v1/devices/demo-phone/connected');
  // A real phone reports in; this one is reported in by us.
  heartbeat = setInterval(
    () => api('POST', '/v1/devices/demo-phone/heartbeat').catch(() => undefined),
    15_000,
  );
  const password = randomBytes(9).toString('base64url');
  if (await api('GET', '/v1/accounts/demo'))
    await api('PUT', '/v1/accounts/demo/password', { password });
  else
    await api('POST', '/v1/accounts', {
      id: 'demo',
      username: 'demo',
      password,
      deviceId: 'demo-phone',
    });
  return password;
}

function localTarget() {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        `hello from the tunnelgate demo target (you came from ${req.socket.remoteAddress})\n`,
      );
    });
    server.once('error', reject);
    server.listen(TARGET.port, TARGET.host, () => resolve(server));
  });
}

const local = (listen) => listen.replace(/^0\.0\.0\.0:|^\[::\]:/, '127.0.0.1:');

async function main() {
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  const target = await localTarget();
  target.unref();
  for (const app of apps) {
    const child = spawn(process.execPath, [join(ROOT, app.main)], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...env, ...app.env },
    });
    children.push(child);
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`tunnelgate: ${app.name} exited (${signal ?? code}); stopping the relay`);
        stopAll(1);
      }
    });
    if (!(await waitReady(app.ready, Date.now() + 30_000))) {
      console.error(`tunnelgate: ${app.name} did not become ready at ${app.ready} within 30 s`);
      return stopAll(1);
    }
  }
  const password = await registerDemo();
  const user = `demo:${password}`;
  const targetUrl = `http://${TARGET.host}:${TARGET.port}/`;
  console.log(
    [
      '',
      'tunnelgate relay is running (Ctrl-C stops it):',
      `  tunnel-api        ${API_URL}  (health: /healthz /readyz /metrics, API docs: /docs)`,
      `  proxy-gateway     HTTP proxy ${local(HTTP_PROXY)}, SOCKS5 ${local(SOCKS_PROXY)}, admin http://${GATEWAY_ADMIN}`,
      `  simulated phone   ${PHONE.vpnIp} (HTTP :${PHONE.httpPort}, SOCKS5 :${PHONE.socksPort}), device id demo-phone`,
      `  store             ${env.TUNNELGATE_STORE ?? 'sqlite:./data/tunnelgate.db'}`,
      '',
      'Try it (account "demo", bound to the simulated phone):',
      `  curl -x http://${user}@${local(HTTP_PROXY)} ${targetUrl}`,
      `  curl --socks5-hostname ${local(SOCKS_PROXY)} --proxy-user ${user} ${targetUrl}`,
      'and, with internet access:',
      `  curl -x http://${user}@${local(HTTP_PROXY)} https://example.com/`,
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  stopAll(1);
});
