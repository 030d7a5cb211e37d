import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiModule } from './api.module';
import { DocsModule } from './docs/docs.module';
import { API_TOKENS } from './auth/api-token.guard';
import type { TokenSource } from './auth/token-ring';
import { ApiErrorFilter } from './http/api-error.filter';
import { tunnelApiConfigModule, type TunnelApiConfig } from './config/tunnel-api.config';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({})
export class AppModule {
  /** The config is parsed before Nest starts (a bad one must stop the boot with a clear list). */
  static register(config: TunnelApiConfig, tokens: TokenSource): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: [
        { provide: API_TOKENS, useValue: tokens },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
      ],
      exports: [API_TOKENS],
      imports: [tunnelApiConfigModule(config), MetricsModule, HealthModule, ApiModule, DocsModule],
    };
  }
}
