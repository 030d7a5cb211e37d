import { SetMetadata } from '@nestjs/common';
import type * as z from 'zod/mini';

export const API_ROUTE_DOC = 'tunnelgate:api-route';

/** What the OpenAPI document says of a route: written next to the handler, from its schemas. */
export interface ApiRouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  query?: z.ZodMiniType;
  /** The schema of a 2xx answer, when the contract has one. */
  response?: z.ZodMiniType;
  /** Non-2xx answers this route gives on purpose, status -> meaning. */
  errors?: Record<number, string>;
}

/** Every handler carries one: the document is built from these, and a route without one stops the boot. */
export const ApiRoute = (doc: ApiRouteDoc) => SetMetadata(API_ROUTE_DOC, doc);
