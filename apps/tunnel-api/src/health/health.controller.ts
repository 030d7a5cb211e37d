import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiRoute } from '../docs/api-route.decorator';
import { API_ROUTES, livenessSchema, readinessSchema } from '@tunnelgate/sessions';
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
  @ApiRoute({ summary: 'Liveness: the process answers', response: livenessSchema })
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
    response: readinessSchema,
    errors: { 503: 'not ready, with the failing check' },
  })
  async readyz(@Res({ passthrough: true }) reply: FastifyReply) {
    // A store that does not answer within a second is as good as down for every caller.
    let deadline: NodeJS.Timeout | undefined;
    const store = await Promise.race([
      this.store.ping().then(
        () => 'ok',
        (error: Error) => error.message,
      ),
      new Promise<string>((resolve) => {
        deadline = setTimeout(() => resolve('the store did not answer within 1 s'), 1000);
      }),
    ]).finally(() => clearTimeout(deadline));
    const firewall = this.firewall.status;
    const checks = { store, firewall };
    // The answer itself, not an exception: the error filter keeps 5xx exceptions for faults.
    if (store !== 'ok' || (firewall !== 'in-sync' && firewall !== 'off')) {
      void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'not ready', checks };
    }
    return { status: 'ready', checks };
  }

  @Get(API_ROUTES.metrics)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiRoute({
    summary: 'Prometheus metrics',
    response: { mediaType: 'text/plain', description: 'the Prometheus text exposition format' },
  })
  metricsText(): Promise<string> {
    return this.metrics.metrics();
  }
}
