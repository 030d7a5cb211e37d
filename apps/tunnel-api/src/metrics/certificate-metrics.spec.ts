import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSigned } from '@tunnelgate/netns-testing';
import { Registry } from 'prom-client';
import type { TunnelApiConfig } from '../config/tunnel-api.config';
import { CertificateMetrics } from './certificate-metrics';

describe('certificate expiry metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cert-metrics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exports each configured certificate's expiry, read again at every scrape; an unreadable one as 0", async () => {
    const ca = join(dir, 'ca.crt');
    const server = join(dir, 'server.crt');
    const { cert } = selfSigned(['relay.test']);
    writeFileSync(ca, cert);
    writeFileSync(server, 'not a certificate');
    const registry = new Registry();
    new CertificateMetrics(
      { openvpn: { caFile: ca, certFile: server } } as TunnelApiConfig,
      registry,
    );
    const value = async (certificate: string) =>
      (
        await registry.getSingleMetric('tunnelgate_certificate_expiry_timestamp_seconds')?.get()
      )?.values.find((v) => v.labels['certificate'] === certificate)?.value;
    expect(await value('openvpn-ca')).toBe(Date.parse(new X509Certificate(cert).validTo) / 1000);
    expect(await value('openvpn-server')).toBe(0);
    // Rotated in place: the next scrape reads the new file.
    writeFileSync(server, cert);
    expect(await value('openvpn-server')).toBeGreaterThan(Date.now() / 1000);
  });
});
