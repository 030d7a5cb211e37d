import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { GatewayConfig } from './config/gateway.config';
import { GatewayModule } from './gateway.module';

/** Nest hosts the gateway's lifecycle only: its servers are raw node:net / node:http. */
export async function createGateway(
  config: GatewayConfig,
  logger: LoggerService,
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(GatewayModule.register(config), {
    logger,
    abortOnError: false,
  });
}
