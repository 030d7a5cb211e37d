import { Module } from '@nestjs/common';
import { FirewallModule } from '../firewall/firewall.module';
import { StoreModule } from '../store/store.module';
import { HealthController } from './health.controller';

@Module({ imports: [StoreModule, FirewallModule], controllers: [HealthController] })
export class HealthModule {}
