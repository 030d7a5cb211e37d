import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTemplate } from '@tunnelgate/config';

const ROOT = join(__dirname, '../..');
const isRoot = process.getuid?.() === 0;
if (!isRoot)
  console.warn(
    '\n!!! SKIPPED (needs root for netns + OpenVPN): deployments/openvpn server config\n',
  );
const describeAsRoot = isRoot ? describe : describe.skip;

/** A throwaway CA and server certificate (EC keys: generated in milliseconds). */
function makePki(dir: string): void {
  // Clients check `remote-cert-tls server`: the certificate must say it is a TLS server.
  writeFileSync(join(dir, 'server.ext'), 'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=tunnelgate-test-ca',
  );
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=relay',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
}

describeAsRoot('deployments/openvpn/server.conf.template', () => {
  let dir: string;
  let ns: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'openvpn-conf-'));
    chmodSync(dir, 0o755);
    ns = `tgovpn${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders completely and starts OpenVPN with no option errors, dropping privileges', async () => {
    makePki(dir);
    const config = renderTemplate(
      readFileSync(join(ROOT, 'deployments/openvpn/server.conf.template'), 'utf8'),
      {
        port: 1194,
        proto: 'udp',
        dev: 'tun0',
        network: '10.9.0.0',
        netmask: '255.255.255.0',
        ca: join(dir, 'ca.crt'),
        cert: join(dir, 'server.crt'),
        key: join(dir, 'server.key'),
        apiUrl: 'http://127.0.0.1:8081',
        tokenFile: join(dir, 'token'),
        hook: join(ROOT, 'dist/apps/hook-cli/main.js'),
        tmpDir: '/dev/shm',
        user: 'nobody',
        group: 'nogroup',
        managementSocket: join(dir, 'management.sock'),
        statusFile: join(dir, 'status.log'),
      },
    );
    const file = join(dir, 'server.conf');
    writeFileSync(file, config);
    const openvpn = spawn('ip', ['netns', 'exec', ns, 'openvpn', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    openvpn.stdout.on('data', (d: Buffer) => (log += d.toString()));
    openvpn.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const started = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 15_000);
        const check = () => {
          if (log.includes('Initialization Sequence Completed')) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        openvpn.stdout.on('data', check);
        openvpn.on('exit', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      expect({ started, log: started ? '' : log }).toEqual({ started: true, log: '' });
      expect(log).not.toMatch(/Options error|WARNING: .*(compress|cipher)/i);
      expect(log).toMatch(/UID set to nobody/);
      expect(
        execFileSync('ip', ['netns', 'exec', ns, 'ip', '-4', 'addr', 'show', 'tun0']).toString(),
      ).toContain('10.9.0.1/24');
    } finally {
      openvpn.kill('SIGTERM');
      await new Promise((r) => openvpn.once('exit', r));
    }
  }, 30_000);
});
