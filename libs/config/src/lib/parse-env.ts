import * as z from 'zod/mini';
import { ConfigError } from './config-error';

export type Env = Readonly<Record<string, string | undefined>>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses an app's environment once, at boot, into a frozen typed object. The schema's keys are
 * the variable names, so every problem is reported under the name the operator has to fix.
 * Empty strings count as unset: `FOO=` in a manifest means "use the default".
 */
export function parseEnv<S extends z.ZodMiniType>(
  app: string,
  schema: S,
  env: Env,
): Readonly<z.output<S>> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => name.startsWith('TUNNELGATE_') && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      app,
      result.error.issues.map((issue) => {
        const name = issue.path.length > 0 ? issue.path.join('.') : '(environment)';
        return `${name}: ${issue.message}`;
      }),
    );
  }
  return deepFreeze(result.data);
}
