import type * as z from 'zod/mini';

export interface EnvVariable {
  name: string;
  /** Unset makes the app refuse to start. */
  required: boolean;
  /** What an unset variable means, as the operator would write it. */
  default?: string;
}

type Introspected = {
  _zod: { optin?: string; def: { type: string; in?: Introspected; defaultValue?: unknown } };
};

function defaultOf(field: Introspected): unknown {
  let node: Introspected | undefined = field;
  while (node && node._zod.def.type === 'pipe') node = node._zod.def.in;
  return node?._zod.def.type === 'default' ? node._zod.def.defaultValue : undefined;
}

/**
 * The variables an app reads, from the same schema that parses them: what `main.js env` prints,
 * and what deployment checks compare manifests with, so the list cannot drift from the parser.
 */
export function describeEnv(schema: z.ZodMiniType): EnvVariable[] {
  let root = schema as unknown as Introspected;
  while (root._zod.def.type === 'pipe' && root._zod.def.in) root = root._zod.def.in;
  const shape = (root._zod.def as { shape?: Record<string, Introspected> }).shape ?? {};
  return Object.entries(shape).map(([name, field]) => {
    const value = defaultOf(field);
    return {
      name,
      required: field._zod.optin === undefined,
      ...(value === undefined ? {} : { default: String(value) }),
    };
  });
}
