import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { InjectMetrics, type MetricsRegistry } from './metrics.module';

/**
 * When the OpenVPN certificates expire, for an alert weeks ahead: past it, no customer can
 * connect. Read at each scrape, so a rotated file counts at once; a file that cannot be read or
 * parsed is exported as expired (0), which alerts too.
 */
@Injectable()
export class CertificateMetrics {
  constructor(
    @InjectTunnelApiConfig() config: TunnelApiConfig,
    @InjectMetrics() registry: MetricsRegistry,
  ) {
    const files = Object.entries({
      'openvpn-ca': config.openvpn.caFile,
      'openvpn-server': config.openvpn.certFile,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined);
    new Gauge({
      name: 'tunnelgate_certificate_expiry_timestamp_seconds',
      help: 'When each configured certificate expires (seconds since the epoch; 0: unreadable)',
      labelNames: ['certificate'],
      registers: [registry],
      collect() {
        for (const [certificate, file] of files) this.set({ certificate }, expiresAt(file));
      },
    });
  }
}

function expiresAt(file: string): number {
  try {
    return Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000;
  } catch {
    return 0;
  }
}
