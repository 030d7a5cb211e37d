import { Injectable } from '@nestjs/common';
import type { Store } from '@tunnelgate/store';
import { Counter, Gauge } from 'prom-client';
import { InjectStore } from '../store/store.module';
import { InjectMetrics, type MetricsRegistry } from './metrics.module';

/** What an operator watches on a relay: sessions, devices, and how connects end. */
@Injectable()
export class RelayMetrics {
  readonly connects: Counter<'outcome'>;

  constructor(@InjectStore() store: Store, @InjectMetrics() registry: MetricsRegistry) {
    this.connects = new Counter({
      name: 'tunnelgate_openvpn_connects_total',
      help: 'OpenVPN connects by outcome: admitted, or the rejection code.',
      labelNames: ['outcome'],
      registers: [registry],
    });
    new Gauge({
      name: 'tunnelgate_sessions_active',
      help: 'Active OpenVPN client sessions.',
      registers: [registry],
      async collect() {
        this.set((await store.sessions.listActive()).length);
      },
    });
    new Gauge({
      name: 'tunnelgate_devices_online',
      help: 'Devices online.',
      registers: [registry],
      async collect() {
        this.set((await store.devices.list()).filter((d) => d.status === 'online').length);
      },
    });
  }
}
