// Starts the relay's long-running apps from dist/ on embedded defaults, waits until each is
// ready, prints where everything is, and stops them all together (Ctrl-C, or one of them dying).
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const API_URL = process.env.TUNNELGATE_API_URL ?? 'http://127.0.0.1:8081';
const GATEWAY_ADMIN = process.env.TUNNELGATE_GATEWAY_ADMIN_LISTEN ?? '127.0.0.1:9091';

const apps = [
  { name: 'tunnel-api', main: 'dist/apps/tunnel-api/main.js', ready: `${API_URL}/readyz` },
  {
    name: 'proxy-gateway',
    main: 'dist/apps/proxy-gateway/main.js',
    ready: `http://${GATEWAY_ADMIN}/readyz`,
  },
];

const children = [];
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
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

async function main() {
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  for (const app of apps) {
    const child = spawn(process.execPath, [join(ROOT, app.main)], {
      cwd: ROOT,
      stdio: 'inherit',
      env: process.env,
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
  console.log(
    [
      '',
      'tunnelgate relay is running (Ctrl-C stops it):',
      `  tunnel-api      ${API_URL}  (health: /healthz /readyz /metrics)`,
      `  proxy-gateway   admin http://${GATEWAY_ADMIN}  (health: /healthz /readyz /metrics)`,
      `  store           ${process.env.TUNNELGATE_STORE ?? 'sqlite:./data/tunnelgate.db'}`,
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  stopAll(1);
});
