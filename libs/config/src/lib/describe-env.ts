import type * as z from 'zod/mini';

export interface EnvVariable {
  name: string;
  /** What it sets, for `main.js env` and docs/configuration.md. */
  description: string;
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

/** A description for every variable a schema reads: one missing fails the type check. */
export type EnvDescriptions<S extends z.ZodMiniType> = {
  readonly [K in keyof z.input<S> & string]-?: string;
};

/**
 * The variables an app reads, from the same schema that parses them: what `main.js env` prints,
 * what deployment checks compare manifests with, and what docs/configuration.md is rendered from,
 * so none of them can drift from the parser.
 */
export function describeEnv<S extends z.ZodMiniType>(
  schema: S,
  descriptions: EnvDescriptions<S>,
): EnvVariable[] {
  let root = schema as unknown as Introspected;
  while (root._zod.def.type === 'pipe' && root._zod.def.in) root = root._zod.def.in;
  const shape = (root._zod.def as { shape?: Record<string, Introspected> }).shape ?? {};
  return Object.entries(shape).map(([name, field]) => {
    const value = defaultOf(field);
    const description = (descriptions as Record<string, string | undefined>)[name];
    if (!description) throw new Error(`${name} has no description`);
    return {
      name,
      description,
      required: field._zod.optin === undefined,
      ...(value === undefined ? {} : { default: String(value) }),
    };
  });
}
