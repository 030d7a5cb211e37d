import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AdminServer } from './admin/admin-server';
import { gatewayConfigNamespace, type GatewayConfig } from './config/gateway.config';

@Module({})
export class GatewayModule {
  /** The config is parsed before Nest starts (a bad one must stop the boot with a clear list). */
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          load: [gatewayConfigNamespace(config)],
        }),
      ],
      providers: [AdminServer],
      exports: [AdminServer],
    };
  }
}
