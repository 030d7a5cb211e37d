import { createServer, type RequestListener } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { METRICS_REGISTRY, type MetricsRegistry } from './metrics/metrics.module';
import { instrumentRequests } from './metrics/request-metrics';
import { logRequests, requestIdOf } from './http/request-log';
import { serveDocs } from './docs/serve-docs';
import type { TunnelApiConfig } from './config/tunnel-api.config';
import type { TokenSource } from './auth/token-ring';

/** Builds the app without listening, so tests can drive it on a port of their choosing. */
const served = new WeakMap<NestFastifyApplication, string[]>();

/** Every route the server registered, `METHOD /path` (HEAD excluded): what /docs-json must cover
 * (but for the docs' own routes). */
export function servedRoutes(app: NestFastifyApplication): string[] {
  return served.get(app) ?? [];
}

export async function createTunnelApi(
  config: TunnelApiConfig,
  logger: LoggerService,
  tokens: TokenSource,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: 64 * 1024,
    trustProxy: false,
    genReqId: requestIdOf,
    // A request's head and body must arrive within the deadline (a client that drips them
    // holds a socket and a parser otherwise); node checks its deadlines every second here, not
    // every 30 s. Responses are not bounded: the watch streams for hours.
    serverFactory: (handler: RequestListener) =>
      createServer(
        {
          headersTimeout: config.requestTimeoutMs,
          requestTimeout: config.requestTimeoutMs,
          connectionsCheckingInterval: 1000,
        },
        handler,
      ),
  });
  logRequests(adapter.getInstance());
  const routes: string[] = [];
  adapter.getInstance().addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, tokens),
    adapter,
    {
      logger,
      abortOnError: false,
    },
  );
  serveDocs(app);
  served.set(app, routes);
  instrumentRequests(
    app.getHttpAdapter().getInstance(),
    app.get<MetricsRegistry>(METRICS_REGISTRY),
  );
  return app;
}
