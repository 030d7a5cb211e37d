import { Controller, Get, Header, HttpException, HttpStatus } from '@nestjs/common';
import { ApiRoute } from '../docs/api-route.decorator';
import { API_ROUTES } from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import { FirewallService } from '../firewall/firewall.service';
import { InjectMetrics, type MetricsRegistry } from '../metrics/metrics.module';
import { InjectStore } from '../store/store.module';

/** Ops routes: unauthenticated on purpose (kubelet and Prometheus carry no token). */
@Controller()
export class HealthController {
  constructor(
    @InjectStore() private readonly store: Store,
    @InjectMetrics() private readonly metrics: MetricsRegistry,
    private readonly firewall: FirewallService,
  ) {}

  /** Alive: the process answers. Restart-worthy only when this fails. */
  @Get(API_ROUTES.healthz)
  @ApiRoute({ summary: 'Liveness: the process answers' })
  healthz() {
    return { status: 'ok' };
  }

  /**
   * Ready: the store answers and the kernel holds the desired rules (the first full reconcile
   * succeeded, and the last sync did), so a connect can be admitted with its rule in place.
   */
  @Get(API_ROUTES.readyz)
  @ApiRoute({
    summary: 'Readiness: store up and firewall in sync',
    errors: { 503: 'not ready, with the failing check' },
  })
  async readyz() {
    const store = await this.store.ping().then(
      () => 'ok',
      (error: Error) => error.message,
    );
    const firewall = this.firewall.status;
    const checks = { store, firewall };
    if (store !== 'ok' || (firewall !== 'in-sync' && firewall !== 'off')) {
      throw new HttpException({ status: 'not ready', checks }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ready', checks };
  }

  @Get(API_ROUTES.metrics)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiRoute({ summary: 'Prometheus metrics' })
  metricsText(): Promise<string> {
    return this.metrics.metrics();
  }
}
