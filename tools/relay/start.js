// Starts the relay on embedded defaults from dist/: tunnel-api, the relay's proxy-gateway, a
// simulated phone (a second proxy-gateway in device mode on 127.0.0.2) with a local demo target,
// and, where it can (root, the firewall on, openvpn installed), an OpenVPN server for customers
// with `hook-cli manage`. It registers the phone and a demo account with the operator CLI, prints
// what to try, and stops everything together (Ctrl-C, or one of them dying).
const { execFile, execFileSync, spawn } = require('node:child_process');
const { existsSync, mkdirSync, openSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { networkInterfaces } = require('node:os');
const { dirname, join, relative } = require('node:path');

const ROOT = join(__dirname, '../..');
const env = process.env;
const API_URL = env.TUNNELGATE_API_URL ?? 'http://127.0.0.1:8081';
const TOKEN_FILE = env.TUNNELGATE_API_TOKEN_FILE ?? join(ROOT, 'data/api-token');
// tunnel-api writes the gateways' and the hooks' own tokens beside the operators' at its first
// start; the OpenVPN server's files go there too.
const DATA = dirname(TOKEN_FILE);
const OPENVPN_DIR = join(DATA, 'openvpn');
const GATEWAY_ADMIN = env.TUNNELGATE_GATEWAY_ADMIN_LISTEN ?? '127.0.0.1:9091';
const HTTP_PROXY = env.TUNNELGATE_GATEWAY_HTTP_LISTEN ?? '0.0.0.0:3128';
const SOCKS_PROXY = env.TUNNELGATE_GATEWAY_SOCKS_LISTEN ?? '0.0.0.0:1080';
// The simulated phone: its proxies on a loopback address of their own, like a device VPN IP.
const PHONE = { vpnIp: '127.0.0.2', httpPort: 8080, socksPort: 11080 };
// A target that works without internet; the phone may reach it and nothing else local.
const [TARGET_HOST, TARGET_PORT] = (env.TUNNELGATE_DEMO_TARGET ?? '127.0.0.3:8088').split(':');
const TARGET = { host: TARGET_HOST, port: Number(TARGET_PORT) };
const CLI = join(ROOT, 'dist/apps/operator-cli/main.js');
const HOOK = join(ROOT, 'dist/apps/hook-cli/main.js');
const OPENVPN_DEV = env.TUNNELGATE_OPENVPN_DEV ?? 'tun0';
const OPENVPN_PORT = env.TUNNELGATE_OPENVPN_PORT ?? '1194';

const children = [];
let stopping = false;
let heartbeat;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  clearInterval(heartbeat);
  // The reverse of the start order: OpenVPN lets go of its clients before tunnel-api goes.
  for (const child of [...children].reverse()) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  ).then(() => process.exit(code));
}

async function waitFor(check, deadline) {
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * One part of the relay. `ready` is a URL that answers 200 when it is, or a pattern its output
 * prints then (the output then goes to `log`, not the terminal). An `optional` part that dies
 * takes nothing else down with it.
 */
async function startPart({ name, command, args, env: partEnv, ready, log, optional }) {
  let output = '';
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: log ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...env, ...partEnv },
  });
  if (log) {
    const file = openSync(log, 'a');
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (chunk) => {
        writeFileSync(file, chunk);
        if (output.length < 1e6) output += chunk.toString();
      });
  }
  children.push(child);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    if (optional) {
      console.error(`tunnelgate: ${name} exited (${signal ?? code}); the rest keeps running`);
      return;
    }
    console.error(`tunnelgate: ${name} exited (${signal ?? code}); stopping the relay`);
    stopAll(1);
  });
  const check =
    ready instanceof RegExp ? async () => ready.test(output) : async () => (await fetch(ready)).ok;
  if (!(await waitFor(check, Date.now() + 30_000))) {
    if (optional) child.kill('SIGTERM');
    throw new Error(`${name} did not become ready within 30 s${log ? ` (its log: ${log})` : ''}`);
  }
}

/** The operator CLI, as an operator would run it on this relay. */
function cli(args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args, '--json'],
      { env: { ...env, TUNNELGATE_API_URL: API_URL, TUNNELGATE_API_TOKEN_FILE: TOKEN_FILE } },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr || error.message)) : resolve(JSON.parse(stdout)),
    );
    child.stdin.end(input ?? '');
  });
}

/** The phone and a demo account bound to it, with a fresh password each start. */
async function registerDemo() {
  const ports = ['--http-port', PHONE.httpPort, '--socks-port', PHONE.socksPort].map(String);
  await cli([
    'devices',
    'register',
    'demo-phone',
    '--name',
    'simulated phone',
    '--vpn-ip',
    PHONE.vpnIp,
    ...ports,
  ]);
  await cli(['devices', 'online', 'demo-phone']);
  // A real phone reports in; this one is reported in by us.
  heartbeat = setInterval(
    () => cli(['devices', 'online', 'demo-phone']).catch(() => undefined),
    15_000,
  );
  const existing = await cli(['accounts', 'show', 'demo']).catch(() => undefined);
  const account = existing
    ? await cli(['accounts', 'password', 'demo'])
    : await cli(['accounts', 'create', 'demo', '--id', 'demo', '--device', 'demo-phone']);
  return account.password;
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

/** Why customers cannot have OpenVPN here, or undefined when they can. */
function openvpnUnavailable() {
  const wanted = env.TUNNELGATE_QUICKSTART_OPENVPN ?? 'auto';
  if (wanted === 'off') return 'TUNNELGATE_QUICKSTART_OPENVPN=off';
  if (process.getuid?.() !== 0) return 'not running as root';
  if ((env.TUNNELGATE_FIREWALL ?? 'auto') === 'off')
    return "TUNNELGATE_FIREWALL=off (customers' traffic reaches the gateway through the firewall)";
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  const onPath = (env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, 'openvpn')));
  if (!onPath) return 'openvpn is not installed (apt-get install openvpn)';
  return undefined;
}

/** The address customers' profiles name: TUNNELGATE_OPENVPN_REMOTE, else this host's first. */
function openvpnRemote() {
  if (env.TUNNELGATE_OPENVPN_REMOTE) return env.TUNNELGATE_OPENVPN_REMOTE;
  const addresses = Object.values(networkInterfaces()).flat();
  return addresses.find((a) => a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
}

/** tunnel-api's profile settings: set before it starts, since it reads them once. */
function prepareOpenvpn() {
  const reason = openvpnUnavailable();
  if (reason) return { reason, apiEnv: {} };
  try {
    execFileSyncQuiet('bash', [join(ROOT, 'tools/relay/openvpn-pki.sh'), OPENVPN_DIR]);
  } catch (error) {
    if (env.TUNNELGATE_QUICKSTART_OPENVPN === 'on') throw error;
    return { reason: `its PKI could not be made in ${OPENVPN_DIR} (${error.message})`, apiEnv: {} };
  }
  const remote = openvpnRemote();
  return {
    remote,
    apiEnv: {
      TUNNELGATE_OPENVPN_REMOTE: remote,
      TUNNELGATE_OPENVPN_CA_FILE: join(OPENVPN_DIR, 'ca.crt'),
    },
  };
}

function execFileSyncQuiet(command, args, options = {}) {
  return execFileSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  });
}

/**
 * OpenVPN on the config `hook-cli server-config` renders, answered by `hook-cli manage`. Asked
 * for explicitly (TUNNELGATE_QUICKSTART_OPENVPN=on), a failure stops the relay; by default the
 * proxies keep running without it.
 */
async function startOpenvpn() {
  const optional = (env.TUNNELGATE_QUICKSTART_OPENVPN ?? 'auto') !== 'on';
  const runDir = join(OPENVPN_DIR, 'run');
  mkdirSync(runDir, { recursive: true, mode: 0o755 });
  const serverEnv = {
    ...env,
    TUNNELGATE_OPENVPN_TEMPLATE: join(ROOT, 'deployments/openvpn/server.conf.template'),
    TUNNELGATE_OPENVPN_CONTROL: 'management',
    TUNNELGATE_OPENVPN_CA_FILE: join(OPENVPN_DIR, 'ca.crt'),
    TUNNELGATE_OPENVPN_CERT_FILE: join(OPENVPN_DIR, 'server.crt'),
    TUNNELGATE_OPENVPN_KEY_FILE: join(OPENVPN_DIR, 'server.key'),
    TUNNELGATE_API_TOKEN_FILE: join(DATA, 'hook-token'),
    TUNNELGATE_OPENVPN_RUN_DIR: runDir,
  };
  const config = join(OPENVPN_DIR, 'server.conf');
  writeFileSync(
    config,
    execFileSyncQuiet(process.execPath, [HOOK, 'server-config'], { env: serverEnv }),
  );
  await startPart({
    name: 'openvpn',
    command: 'openvpn',
    args: ['--config', config],
    env: {},
    ready: /Initialization Sequence Completed/,
    log: join(OPENVPN_DIR, 'openvpn.log'),
    optional,
  });
  await startPart({
    name: 'hook-cli manage',
    command: process.execPath,
    args: [HOOK, 'manage'],
    env: {
      TUNNELGATE_API_URL: API_URL,
      TUNNELGATE_API_TOKEN_FILE: join(DATA, 'hook-token'),
      TUNNELGATE_OPENVPN_MANAGEMENT_SOCKET: join(runDir, `${OPENVPN_DEV}.management.sock`),
    },
    ready: /"message":"attached"/,
    log: join(OPENVPN_DIR, 'manage.log'),
    optional,
  });
}

const local = (listen) => listen.replace(/^0\.0\.0\.0:|^\[::\]:/, '127.0.0.1:');

async function main() {
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  const target = await localTarget();
  target.unref();
  const openvpn = prepareOpenvpn();
  await startPart({
    name: 'tunnel-api',
    command: process.execPath,
    args: [join(ROOT, 'dist/apps/tunnel-api/main.js')],
    env: { TUNNELGATE_API_TOKEN_FILE: TOKEN_FILE, ...openvpn.apiEnv },
    ready: `${API_URL}/readyz`,
  });
  await startPart({
    name: 'simulated phone',
    command: process.execPath,
    args: [join(ROOT, 'dist/apps/proxy-gateway/main.js')],
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
  });
  await startPart({
    name: 'proxy-gateway',
    command: process.execPath,
    args: [join(ROOT, 'dist/apps/proxy-gateway/main.js')],
    env: { TUNNELGATE_API_TOKEN_FILE: join(DATA, 'gateway-token') },
    ready: `http://${GATEWAY_ADMIN}/readyz`,
  });
  if (!openvpn.reason)
    await startOpenvpn().catch((error) => {
      if ((env.TUNNELGATE_QUICKSTART_OPENVPN ?? 'auto') === 'on') throw error;
      openvpn.reason = error.message;
    });
  const password = await registerDemo();
  const user = `demo:${password}`;
  const targetUrl = `http://${TARGET.host}:${TARGET.port}/`;
  const cliCommand = `node ${relative(process.cwd(), CLI) || CLI}`;
  console.log(
    [
      '',
      'tunnelgate relay is running (Ctrl-C stops it):',
      `  tunnel-api        ${API_URL}  (health: /healthz /readyz /metrics, API docs: /docs)`,
      `  proxy-gateway     HTTP proxy ${local(HTTP_PROXY)}, SOCKS5 ${local(SOCKS_PROXY)}, admin http://${GATEWAY_ADMIN}`,
      `  simulated phone   ${PHONE.vpnIp} (HTTP :${PHONE.httpPort}, SOCKS5 :${PHONE.socksPort}), device id demo-phone`,
      openvpn.reason
        ? `  openvpn           not started: ${openvpn.reason}`
        : `  openvpn           ${openvpn.remote} udp/${OPENVPN_PORT} (${OPENVPN_DEV}), admitted by hook-cli manage; logs in ${OPENVPN_DIR}`,
      `  store             ${env.TUNNELGATE_STORE ?? 'sqlite:./data/tunnelgate.db'}`,
      '',
      `Account "demo" (password ${password}), bound to the simulated phone. Try it:`,
      `  curl -x http://${user}@${local(HTTP_PROXY)} ${targetUrl}`,
      `  curl --socks5-hostname ${local(SOCKS_PROXY)} --proxy-user ${user} ${targetUrl}`,
      ...(openvpn.reason
        ? []
        : [
            'OpenVPN (on a customer machine that reaches this address; username demo, the password above):',
            `  ${cliCommand} profile demo --out demo.ovpn`,
            '  openvpn --config demo.ovpn',
          ]),
      'and, with internet access:',
      `  curl -x http://${user}@${local(HTTP_PROXY)} https://example.com/`,
      '',
      `Manage accounts, devices and sessions: ${cliCommand} help`,
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(`tunnelgate: ${error.message}`);
  stopAll(1);
});
