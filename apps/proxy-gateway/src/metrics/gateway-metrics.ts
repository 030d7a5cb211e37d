import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ConnectionCounters } from './connection-counters';
import { DeviceCounters } from './device-counters';

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;

/**
 * What an operator watches on the data plane; connects/s is rate(connections_total). Active
 * connections, outcomes and bytes are counted in `counters` and published at each scrape.
 */
export function gatewayMetrics(registry: Registry, maxLabelledDevices: number) {
  const registers = [registry];
  const counters = new ConnectionCounters();
  const devices = new DeviceCounters(maxLabelledDevices);
  let warmConnections = () => 0;
  return {
    counters,
    devices,
    deviceActive: new Gauge({
      name: 'tunnelgate_gateway_device_tunnels_active',
      help: 'Open tunnels through each device (devices past the label cap summed as _other)',
      labelNames: ['device'] as const,
      registers,
      collect() {
        this.reset();
        for (const [device, open] of devices.active()) this.set({ device }, open);
      },
    }),
    deviceConnects: new Counter({
      name: 'tunnelgate_gateway_device_connects_total',
      help: 'Tunnels opened through each device, by outcome: ok, refused, timeout, failed',
      labelNames: ['device', 'outcome'] as const,
      registers,
      collect() {
        this.reset();
        for (const [device, byOutcome] of devices.connects)
          for (const [outcome, total] of byOutcome) this.inc({ device, outcome }, total);
      },
    }),
    deviceConnectSeconds: new Counter({
      name: 'tunnelgate_gateway_device_connect_seconds_total',
      help: 'Time the successful tunnels through each device took to open: divided by their count, the mean',
      labelNames: ['device'] as const,
      registers,
      collect() {
        this.reset();
        for (const [device, seconds] of devices.connectSeconds) this.inc({ device }, seconds);
      },
    }),
    /** Where the warm pool's size comes from (the gatekeeper, made after the metrics). */
    countWarmConnections(source: () => number) {
      warmConnections = source;
    },
    warm: new Gauge({
      name: 'tunnelgate_gateway_device_pool_connections',
      help: 'Warm connections to devices, ready for a tunnel (every device summed)',
      registers,
      collect() {
        this.set(warmConnections());
      },
    }),
    active: new Gauge({
      name: 'tunnelgate_gateway_connections_active',
      help: 'Open client connections, by listener',
      labelNames: ['listener'] as const,
      registers,
      collect() {
        for (const [listener, open] of counters.active) this.set({ listener }, open);
      },
    }),
    connections: new Counter({
      name: 'tunnelgate_gateway_connections_total',
      help: 'Client connections accepted, by listener and how they ended up',
      labelNames: ['listener', 'outcome'] as const,
      registers,
      collect() {
        // Totals, not increments: a counter takes them as a reset and one inc.
        this.reset();
        for (const [listener, byOutcome] of counters.outcomes)
          for (const [outcome, total] of byOutcome) this.inc({ listener, outcome }, total);
      },
    }),
    upstreamConnect: new Histogram({
      name: 'tunnelgate_gateway_upstream_connect_seconds',
      help: 'Time to a usable upstream stream (TCP connect and proxy handshake)',
      labelNames: ['upstream'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    bytes: new Counter({
      name: 'tunnelgate_gateway_bytes_total',
      help: 'Bytes relayed, from clients (in) and to clients (out)',
      labelNames: ['direction'] as const,
      registers,
      collect() {
        this.reset();
        const open = counters.openBytes();
        this.inc({ direction: 'in' }, counters.closedBytesIn + open.bytesIn);
        this.inc({ direction: 'out' }, counters.closedBytesOut + open.bytesOut);
      },
    }),
    authFailures: new Counter({
      name: 'tunnelgate_gateway_auth_failures_total',
      help: 'Refused logins, by listener and reason',
      labelNames: ['listener', 'reason'] as const,
      registers,
    }),
    leaseRequests: new Counter({
      name: 'tunnelgate_gateway_byte_lease_requests_total',
      help: "Byte lease requests to tunnel-api, by answer: granted, none (the quota or others' leases left nothing), failed",
      labelNames: ['answer'] as const,
      registers,
    }),
    deviceDials: new Counter({
      name: 'tunnelgate_gateway_device_dials_total',
      help: 'Connections to devices: warm (a tunnel took a pooled one), cold (none was warm), retried (a warm one was dead: a fresh one instead), pool (made for the pool)',
      labelNames: ['kind'] as const,
      registers,
    }),
    errors: new Counter({
      name: 'tunnelgate_gateway_errors_total',
      help: 'Errors, by kind (upstream codes, client protocol errors, control plane)',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}
