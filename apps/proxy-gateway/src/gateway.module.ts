import { Module, type DynamicModule } from '@nestjs/common';
import { AdminServer } from './admin/admin-server';
import { gatewayConfigModule, type GatewayConfig } from './config/gateway.config';
import { GatewayService } from './gateway.service';

@Module({})
export class GatewayModule {
  /** The config is parsed before Nest starts (a bad one must stop the boot with a clear list). */
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [gatewayConfigModule(config)],
      providers: [AdminServer, GatewayService],
      exports: [AdminServer, GatewayService],
    };
  }
}
