import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import type { TunnelApiConfig } from './config/tunnel-api.config';

/** Builds the app without listening, so tests can drive it on a port of their choosing. */
export async function createTunnelApi(
  config: TunnelApiConfig,
  logger: LoggerService,
  apiToken: string,
): Promise<NestFastifyApplication> {
  return NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, apiToken),
    new FastifyAdapter({ bodyLimit: 64 * 1024, trustProxy: false }),
    { logger, abortOnError: false },
  );
}
