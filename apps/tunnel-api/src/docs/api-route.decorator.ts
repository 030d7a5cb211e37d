import { SetMetadata } from '@nestjs/common';
import type * as z from 'zod/mini';

export const API_ROUTE_DOC = 'tunnelgate:api-route';

/** A success answer that is not JSON: its media type and what it holds. */
export interface NonJsonResponse {
  mediaType: string;
  description: string;
}

/**
 * A route's success answer: the contract schema of its JSON, a body of another media type, or
 * `'no-content'` (204). Required, so a route cannot leave its callers guessing.
 */
export type ApiResponseDoc = z.ZodMiniType | NonJsonResponse | 'no-content';

/** What the OpenAPI document says of a route: written next to the handler, from its schemas. */
export interface ApiRouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  query?: z.ZodMiniType;
  response: ApiResponseDoc;
  /** Non-2xx answers this route gives on purpose, status -> meaning. */
  errors?: Record<number, string>;
}

/** Every handler carries one: the document is built from these, and a route without one stops the boot. */
export const ApiRoute = (doc: ApiRouteDoc) => SetMetadata(API_ROUTE_DOC, doc);
