import { RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { apiErrorBodySchema } from '@tunnelgate/sessions';
import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import * as z from 'zod/mini';
import { API_ROUTE_DOC, type ApiResponseDoc, type ApiRouteDoc } from './api-route.decorator';

export interface DocumentedRoute {
  method: string;
  path: string;
  /** The status of a success, as Nest answers it (@HttpCode, else 201 for POST, 200 otherwise). */
  status: number;
  doc: ApiRouteDoc;
}

function joinPath(...parts: string[]): string {
  return `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;
}

/** Walks Nest's controllers and returns each route with its documentation. */
export function discoverRoutes(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    if (!instance) continue;
    const base =
      reflector.get<string | undefined>(PATH_METADATA, wrapper.metatype as Type<unknown>) ?? '';
    const prototype = Object.getPrototypeOf(instance) as Record<string, () => unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (!handler) continue;
      const path = reflector.get<string | undefined>(PATH_METADATA, handler);
      if (path === undefined) continue;
      const method = RequestMethod[reflector.get<RequestMethod>(METHOD_METADATA, handler)] ?? 'GET';
      const doc = reflector.get<ApiRouteDoc | undefined>(API_ROUTE_DOC, handler);
      const route = joinPath(base, path);
      if (!doc?.response)
        throw new Error(
          `${method} ${route} (${wrapper.name}.${name}) has no @ApiRoute with its response: document it`,
        );
      const status =
        reflector.get<number | undefined>(HTTP_CODE_METADATA, handler) ??
        (method === 'POST' ? 201 : 200);
      if ((doc.response === 'no-content') !== (status === 204))
        throw new Error(
          `${method} ${route} answers ${status} but documents ${doc.response === 'no-content' ? 'no content' : 'a body'}`,
        );
      routes.push({ method, path: route, status, doc });
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): object {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as object;
}

function successResponse(response: ApiResponseDoc): object {
  if (response === 'no-content') return { description: 'no content' };
  if ('mediaType' in response)
    return {
      description: response.description,
      content: { [response.mediaType]: { schema: { type: 'string' } } },
    };
  return {
    description: 'success',
    content: { 'application/json': { schema: jsonSchema(response, 'output') } },
  };
}

/** OpenAPI 3.1 from the routes' own schemas: the document cannot drift from the code. */
export function buildOpenApi(routes: DocumentedRoute[], version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  const errorContent = {
    content: { 'application/json': { schema: jsonSchema(apiErrorBodySchema, 'output') } },
  };
  for (const { method, path, status, doc } of routes) {
    const v1 = path.startsWith('/v1');
    const openApiPath = path.replace(/:(\w+)/g, '{$1}');
    const parameters = [...path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (doc.query) {
      const shape = jsonSchema(doc.query, 'input') as { properties?: Record<string, object> };
      for (const [name, schema] of Object.entries(shape.properties ?? {}))
        parameters.push({ name, in: 'query', required: false, schema } as never);
    }
    const errors = Object.fromEntries(
      Object.entries(doc.errors ?? {}).map(([code, description]) => [
        code,
        { description, ...(v1 ? errorContent : {}) },
      ]),
    );
    paths[openApiPath] ??= {};
    paths[openApiPath][method.toLowerCase()] = {
      summary: doc.summary,
      ...(v1 ? { security: [{ bearer: [] }] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(doc.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(doc.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [status]: successResponse(doc.response),
        ...(v1
          ? {
              '401': { description: 'missing or wrong bearer token', ...errorContent },
              '400': { description: 'invalid request', ...errorContent },
              '500': { description: 'internal error: errorId keys its log line', ...errorContent },
            }
          : {}),
        ...errors,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'tunnelgate tunnel-api', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
