import type { GatewayConfig } from '../config/gateway.config';

/**
 * A worker's config: the node's, under a name of its own. Byte leases, connection slots and
 * usage reports are held per name in the store, so each worker is one holder there, as a
 * gateway on another node would be, and the store's global limits and quotas hold across
 * workers with nothing shared between them. A replaced worker takes its slot's name, as a
 * restarted gateway takes its own.
 */
export function asWorker(config: GatewayConfig, index: number): GatewayConfig {
  const suffix = `-w${index}`;
  return {
    ...config,
    usage: {
      ...config.usage,
      reporter: `${config.usage.reporter.slice(0, 64 - suffix.length)}${suffix}`,
    },
  };
}

/** What makes a config unfit for several workers, in the words of its variables. */
export function clusterConfigErrors(config: GatewayConfig): string[] {
  return Object.entries(config.listen)
    .filter(([, at]) => at?.port === 0)
    .map(
      ([name]) =>
        `the ${name} listener has port 0: each of TUNNELGATE_GATEWAY_WORKERS=${config.workers} workers would get a port of its own; give it a fixed port or run one worker`,
    );
}
