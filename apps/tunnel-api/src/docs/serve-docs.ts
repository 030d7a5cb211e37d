// @nestjs/swagger loads @fastify/static by name at run time; imported here so the build's
// package list (and so the container image) has it.
import '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ApiDocument } from './api-document';

/** Paths Swagger UI serves (the UI and its assets, the document as JSON and YAML). */
export const DOCS_PATH = '/docs';

/**
 * Swagger UI at /docs, the document at /docs-json (and /docs-yaml): @nestjs/swagger serves the
 * zod-generated document as it is, nothing of it derived from decorators of its own.
 */
export function serveDocs(app: NestFastifyApplication): void {
  const api = app.get(ApiDocument);
  SwaggerModule.setup(DOCS_PATH.slice(1), app, () => api.document as OpenAPIObject, {
    jsonDocumentUrl: `${DOCS_PATH.slice(1)}-json`,
    yamlDocumentUrl: `${DOCS_PATH.slice(1)}-yaml`,
    ui: true,
  });
}
