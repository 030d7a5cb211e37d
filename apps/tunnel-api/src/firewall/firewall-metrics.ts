import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SyncObserver } from '@tunnelgate/firewall-sync';

/** The reconciler's numbers on /metrics. */
export function firewallMetrics(registry: Registry): SyncObserver {
  const duration = new Histogram({
    name: 'tunnelgate_firewall_sync_duration_seconds',
    help: 'Time of one firewall sync (read state, plan, iptables-restore).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const syncs = new Counter({
    name: 'tunnelgate_firewall_syncs_total',
    help: 'Firewall syncs by scope: clients (the client set only), rules, full (after a kernel read).',
    labelNames: ['scope'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'tunnelgate_firewall_sync_failures_total',
    help: 'Firewall syncs that failed (retried with backoff).',
    registers: [registry],
  });
  const drifts = new Counter({
    name: 'tunnelgate_firewall_drift_total',
    help: "Times the canary found tunnelgate's jumps or barrier gone from the kernel (then repaired).",
    registers: [registry],
  });
  const rules = new Gauge({
    name: 'tunnelgate_firewall_rules',
    help: 'Rules tunnelgate keeps per chain.',
    labelNames: ['chain'],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'tunnelgate_firewall_last_success_timestamp_seconds',
    help: 'When the firewall last matched the desired state.',
    registers: [registry],
  });
  return {
    synced({ scope, durationMs, rulesByChain }) {
      duration.observe(durationMs / 1000);
      syncs.inc({ scope });
      lastSuccess.set(Date.now() / 1000);
      // A clients sync reports the set only; chains (a fixed list) keep their last count.
      for (const [chain, count] of rulesByChain) rules.set({ chain }, count);
    },
    failed() {
      failures.inc();
    },
    drifted() {
      drifts.inc();
    },
  };
}
