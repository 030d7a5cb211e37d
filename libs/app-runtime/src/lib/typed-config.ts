import { Inject, type DynamicModule } from '@nestjs/common';
import { ConfigModule, getConfigToken, registerAs } from '@nestjs/config';

/**
 * An app's parsed, frozen config as a @nestjs/config namespace: `module(config)` goes into the
 * root module's imports (the environment is parsed before Nest starts, so it is not read again),
 * `inject()` gives any provider the typed object.
 */
export function typedConfig<T extends object>(namespace: string) {
  const token = getConfigToken(namespace);
  return {
    token,
    inject: () => Inject(token),
    module: (config: T): Promise<DynamicModule> =>
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        ignoreEnvVars: true,
        load: [registerAs(namespace, () => config)],
      }),
  };
}
