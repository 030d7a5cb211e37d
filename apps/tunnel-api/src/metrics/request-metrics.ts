import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

/** Latency per route (the route's pattern, never the raw URL: ids would explode the labels). */
export function instrumentRequests(fastify: FastifyInstance, registry: Registry): void {
  const latency = new Histogram({
    name: 'tunnelgate_api_request_duration_seconds',
    help: 'tunnel-api request latency by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    latency.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
