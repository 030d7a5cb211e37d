import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { openStore, type Store } from '@tunnelgate/store';
import { TUNNEL_API_CONFIG, type TunnelApiConfig } from '../config/tunnel-api.config';

export const STORE = Symbol('STORE');
export const InjectStore = () => Inject(STORE);

class StoreCloser implements OnApplicationShutdown {
  constructor(@InjectStore() private readonly store: Store) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({
  providers: [
    {
      provide: STORE,
      inject: [TUNNEL_API_CONFIG],
      useFactory: (config: TunnelApiConfig) => openStore(config.storeUrl, undefined, true),
    },
    StoreCloser,
  ],
  exports: [STORE],
})
export class StoreModule {}
