import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A registry per app instance rather than prom-client's global one: tests start several apps in
 * one process and each must report only its own numbers.
 */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: 'tunnelgate_' });
  return registry;
}
