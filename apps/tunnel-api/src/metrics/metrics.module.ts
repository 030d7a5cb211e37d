import { Global, Inject, Module } from '@nestjs/common';
import { createMetricsRegistry } from '@tunnelgate/app-runtime';
import type { Registry } from 'prom-client';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const InjectMetrics = () => Inject(METRICS_REGISTRY);
export type MetricsRegistry = Registry;

@Global()
@Module({
  providers: [{ provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry('tunnel-api') }],
  exports: [METRICS_REGISTRY],
})
export class MetricsModule {}
