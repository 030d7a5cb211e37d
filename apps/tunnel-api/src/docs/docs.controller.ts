import { Controller, Get, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ApiRoute } from './api-route.decorator';
import { buildOpenApi, discoverRoutes } from './openapi-builder';

/** GET /docs: the OpenAPI document, built once at start from the routes themselves. */
@Controller()
export class DocsController implements OnModuleInit {
  private document: object = {};

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    this.document = buildOpenApi(discoverRoutes(this.discovery, this.scanner, this.reflector), '1');
  }

  @Get('/docs')
  @ApiRoute({ summary: 'This OpenAPI document' })
  docs(): object {
    return this.document;
  }
}
