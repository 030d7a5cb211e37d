import type { K8sObject } from './render-overlay';

type ModelClass = new (data: unknown) => { validate(): void };

/**
 * Validates an object against the Kubernetes OpenAPI schema of its apiVersion and kind, with the
 * `kubernetes-models` classes. Held at 4.x: 5.x is ESM-only, which jest (CommonJS here) cannot
 * load; 4.x validates the same schemas and runs on Node 24.
 */
export function schemaProblem(object: K8sObject): string | undefined {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : [undefined, object.apiVersion];
  const modulePath = `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  const models = require(modulePath) as Record<string, ModelClass | undefined>;
  const Model = models[object.kind];
  if (!Model) return `${object.apiVersion} ${object.kind}: no schema`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return `${object.kind}/${object.metadata.name}: ${(error as Error).message}`;
  }
}
