import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// EC keys: generated in milliseconds, where RSA would take seconds per test run.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A self-signed certificate for `names` (for origin servers that clients reach with -k). */
export function selfSigned(names: string[]): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'tg-cert-'));
  try {
    openssl(dir, [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ]);
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A throwaway CA and an OpenVPN server certificate signed by it, written to `dir` as ca.crt,
 * server.crt and server.key. Clients check `remote-cert-tls server`, so the certificate says it
 * is a TLS server.
 */
export function makeOpenvpnPki(dir: string): void {
  writeFileSync(
    join(dir, 'server.ext'),
    'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n',
  );
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=tunnelgate-test-ca',
  ]);
  openssl(dir, [
    'req',
    ...EC_KEY,
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=relay',
  ]);
  openssl(dir, [
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
  ]);
}
