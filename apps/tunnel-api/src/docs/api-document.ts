import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { buildOpenApi, discoverRoutes } from './openapi-builder';

/**
 * The OpenAPI document, built once from the routes themselves (their @ApiRoute and contract
 * schemas), when first asked for: Swagger UI at /docs and the document at /docs-json serve it.
 */
@Injectable()
export class ApiDocument {
  private built: object | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  get document(): object {
    this.built ??= buildOpenApi(discoverRoutes(this.discovery, this.scanner, this.reflector), '1');
    return this.built;
  }
}
