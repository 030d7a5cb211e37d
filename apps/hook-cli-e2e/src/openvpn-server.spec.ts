import { describeAsRoot, makeOpenvpnPki, Netns } from '@tunnelgate/netns-testing';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
// Rendering an OpenVPN server and handshaking through it takes a while on 2 cores.
jest.setTimeout(120_000);

describeAsRoot('deployments/openvpn/server.conf.template', () => {
  let dir: string;
  let ns: Netns;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'openvpn-conf-'));
    chmodSync(dir, 0o755);
    ns = new Netns();
  });
  afterAll(() => {
    ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const hook = join(ROOT, 'dist/apps/hook-cli/main.js');

  function renderWithHook(
    proto: 'udp' | 'tcp',
    dev: string,
    subnet: string,
    control?: 'script' | 'management',
  ): string {
    const file = join(dir, `${dev}.conf`);
    const env = {
      PATH: process.env['PATH'],
      TUNNELGATE_OPENVPN_TEMPLATE: join(ROOT, 'deployments/openvpn/server.conf.template'),
      TUNNELGATE_OPENVPN_PROTO: proto,
      TUNNELGATE_OPENVPN_PORT: proto === 'udp' ? '1194' : '443',
      TUNNELGATE_OPENVPN_DEV: dev,
      TUNNELGATE_OPENVPN_SUBNET: subnet,
      TUNNELGATE_OPENVPN_CA_FILE: join(dir, 'ca.crt'),
      TUNNELGATE_OPENVPN_CERT_FILE: join(dir, 'server.crt'),
      TUNNELGATE_OPENVPN_KEY_FILE: join(dir, 'server.key'),
      TUNNELGATE_API_TOKEN_FILE: join(dir, 'token'),
      TUNNELGATE_OPENVPN_RUN_DIR: dir,
      ...(control && { TUNNELGATE_OPENVPN_CONTROL: control }),
    };
    writeFileSync(file, execFileSync(hook, ['server-config'], { env }));
    return file;
  }

  async function startOpenvpn(file: string): Promise<{ log: string; stop: () => Promise<void> }> {
    const openvpn = spawn('ip', ['netns', 'exec', ns.name, 'openvpn', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    openvpn.stdout.on('data', (d: Buffer) => (log += d.toString()));
    openvpn.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 15_000);
      openvpn.stdout.on('data', () => {
        if (!log.includes('Initialization Sequence Completed')) return;
        clearTimeout(timer);
        resolve(true);
      });
      openvpn.on('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    const stop = async () => {
      if (openvpn.exitCode !== null) return;
      openvpn.kill('SIGTERM');
      await new Promise((r) => openvpn.once('exit', r));
    };
    if (!started) {
      await stop();
      throw new Error(`openvpn did not start:\n${log}`);
    }
    return { log, stop };
  }

  it('hook-cli server-config renders a config OpenVPN starts with no option errors, dropping privileges', async () => {
    makeOpenvpnPki(dir);
    const file = renderWithHook('udp', 'tun0', '10.9.0.0/24', 'script');
    expect(readFileSync(file, 'utf8')).toContain(
      `client-connect "${process.execPath} ${hook} client-connect"`,
    );
    const server = await startOpenvpn(file);
    try {
      expect(server.log).not.toMatch(/Options error|WARNING: .*(compress|cipher)/i);
      expect(server.log).toMatch(/UID set to nobody/);
      expect(ns.exec('ip', ['-4', 'addr', 'show', 'tun0'])).toContain('10.9.0.1/24');
    } finally {
      await server.stop();
    }
  }, 30_000);

  it('the TCP fallback listener starts beside the UDP one, on its own device and subnet', async () => {
    // The default: management mode (clients wait for `hook-cli manage`; OpenVPN starts alone).
    const udpFile = renderWithHook('udp', 'tun0', '10.9.0.0/24');
    expect(readFileSync(udpFile, 'utf8')).toContain('management-client-auth');
    expect(readFileSync(udpFile, 'utf8')).not.toContain('client-connect');
    const udp = await startOpenvpn(udpFile);
    try {
      const tcp = await startOpenvpn(renderWithHook('tcp', 'tun1', '10.9.1.0/24'));
      try {
        expect(tcp.log).not.toMatch(/Options error/i);
        expect(ns.exec('ip', ['-4', 'addr', 'show', 'tun1'])).toContain('10.9.1.1/24');
      } finally {
        await tcp.stop();
      }
    } finally {
      await udp.stop();
    }
  }, 40_000);
});
