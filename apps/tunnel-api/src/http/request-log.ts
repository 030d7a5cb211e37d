import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import { withRequestId } from '@tunnelgate/app-runtime';
import { acceptableRequestId, API_ROUTES, REQUEST_ID_HEADER } from '@tunnelgate/sessions';
import type { FastifyInstance } from 'fastify';

/** Probes and scrapes arrive every few seconds; their lines are debug, not info. */
const QUIET_ROUTES = new Set<string>([API_ROUTES.healthz, API_ROUTES.readyz, API_ROUTES.metrics]);

/** Fastify's request id: the caller's (the hook's, a gateway's) when it sent a usable one. */
export function requestIdOf(request: IncomingMessage): string {
  return acceptableRequestId(request.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}

/**
 * Every request runs with its id as the current one, so each log line it causes carries it
 * (the session stored, the firewall sync it waited for); the answer says it back; and one
 * access line per request says who asked what and how it ended.
 */
export function logRequests(fastify: FastifyInstance): void {
  const logger = new Logger('Http');
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    withRequestId(request.id, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const line = {
      message: 'request',
      requestId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      client: request.ip,
    };
    if (QUIET_ROUTES.has(route)) logger.debug(line);
    else logger.log(line);
    done();
  });
}
