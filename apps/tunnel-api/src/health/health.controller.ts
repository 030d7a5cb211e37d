import { Controller, Get, Header, HttpException, HttpStatus } from '@nestjs/common';
import { API_ROUTES } from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import { InjectMetrics, type MetricsRegistry } from '../metrics/metrics.module';
import { InjectStore } from '../store/store.module';

/** Ops routes: unauthenticated on purpose (kubelet and Prometheus carry no token). */
@Controller()
export class HealthController {
  constructor(
    @InjectStore() private readonly store: Store,
    @InjectMetrics() private readonly metrics: MetricsRegistry,
  ) {}

  /** Alive: the process answers. Restart-worthy only when this fails. */
  @Get(API_ROUTES.healthz)
  healthz() {
    return { status: 'ok' };
  }

  /** Ready: the store answers, so connects can be admitted. */
  @Get(API_ROUTES.readyz)
  async readyz() {
    try {
      await this.store.ping();
    } catch (error) {
      throw new HttpException(
        { status: 'not ready', checks: { store: (error as Error).message } },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    return { status: 'ready', checks: { store: 'ok' } };
  }

  @Get(API_ROUTES.metrics)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.metrics();
  }
}
