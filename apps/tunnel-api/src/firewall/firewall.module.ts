import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module';
import { ExecRunner } from '@tunnelgate/firewall-sync';
import { COMMAND_RUNNER, FirewallService } from './firewall.service';

@Module({
  imports: [StoreModule],
  providers: [FirewallService, { provide: COMMAND_RUNNER, useFactory: () => new ExecRunner() }],
  exports: [FirewallService],
})
export class FirewallModule {}
