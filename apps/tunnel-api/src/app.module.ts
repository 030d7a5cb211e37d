import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { tunnelApiConfigNamespace, type TunnelApiConfig } from './config/tunnel-api.config';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({})
export class AppModule {
  /** The config is parsed before Nest starts (a bad one must stop the boot with a clear list). */
  static register(config: TunnelApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          load: [tunnelApiConfigNamespace(config)],
        }),
        MetricsModule,
        HealthModule,
      ],
    };
  }
}
