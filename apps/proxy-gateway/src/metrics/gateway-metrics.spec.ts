import { Registry } from 'prom-client';
import { gatewayMetrics } from './gateway-metrics';

/** The value of one sample line of the exposition text, or undefined when it is missing. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('gateway metrics counted per connection', () => {
  it('publish their totals at each scrape, and a second scrape counts nothing twice', async () => {
    const registry = new Registry();
    const { counters } = gatewayMetrics(registry, 0);
    counters.opened('http');
    counters.opened('http');
    counters.opened('socks5');
    counters.outcome('http', 'tunnel');
    counters.outcome('http', 'tunnel');
    counters.outcome('socks5', 'refused');
    counters.closed('http', 100, 2000);
    counters.closed('socks5', 7, 9);

    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await registry.metrics();
      expect(sample(text, 'tunnelgate_gateway_connections_active{listener="http"}')).toBe(1);
      expect(sample(text, 'tunnelgate_gateway_connections_active{listener="socks5"}')).toBe(0);
      expect(
        sample(text, 'tunnelgate_gateway_connections_total{listener="http",outcome="tunnel"}'),
      ).toBe(2);
      expect(
        sample(text, 'tunnelgate_gateway_connections_total{listener="socks5",outcome="refused"}'),
      ).toBe(1);
      expect(sample(text, 'tunnelgate_gateway_bytes_total{direction="in"}')).toBe(107);
      expect(sample(text, 'tunnelgate_gateway_bytes_total{direction="out"}')).toBe(2009);
    }

    counters.closed('http', 1, 1);
    const later = await registry.metrics();
    expect(sample(later, 'tunnelgate_gateway_connections_active{listener="http"}')).toBe(0);
    expect(sample(later, 'tunnelgate_gateway_bytes_total{direction="in"}')).toBe(108);
  });
});

describe('per-device metrics', () => {
  it('count connects by outcome and their time, and open tunnels, per device', async () => {
    const registry = new Registry();
    const { devices } = gatewayMetrics(registry, 10);
    devices.connected('phone-a', 0.25);
    devices.connected('phone-a', 0.75);
    devices.failed('phone-a', 'ETIMEDOUT');
    devices.failed('phone-b', 'ECONNREFUSED');
    devices.failed('phone-b', 'PROXY_PROTOCOL');
    devices.openByDevice = () =>
      new Map([
        ['phone-a', 3],
        ['phone-b', 1],
      ]);
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await registry.metrics();
      const connects = (device: string, outcome: string) =>
        sample(
          text,
          `tunnelgate_gateway_device_connects_total{device="${device}",outcome="${outcome}"}`,
        );
      expect(connects('phone-a', 'ok')).toBe(2);
      expect(connects('phone-a', 'timeout')).toBe(1);
      expect(connects('phone-b', 'refused')).toBe(1);
      expect(connects('phone-b', 'failed')).toBe(1);
      expect(
        sample(text, 'tunnelgate_gateway_device_connect_seconds_total{device="phone-a"}'),
      ).toBe(1);
      expect(sample(text, 'tunnelgate_gateway_device_tunnels_active{device="phone-a"}')).toBe(3);
    }
    // A device whose last tunnel closed has no active series left.
    devices.openByDevice = () => new Map([['phone-a', 1]]);
    const later = await registry.metrics();
    expect(
      sample(later, 'tunnelgate_gateway_device_tunnels_active{device="phone-b"}'),
    ).toBeUndefined();
  });

  it('give labels to the first devices up to the cap, and sum the rest as _other', async () => {
    const registry = new Registry();
    const { devices } = gatewayMetrics(registry, 2);
    for (let i = 0; i < 500; i++) devices.connected(`phone-${i}`, 0.1);
    devices.openByDevice = () => new Map(Array.from({ length: 500 }, (_, i) => [`phone-${i}`, 1]));
    const text = await registry.metrics();
    const series = text
      .split('\n')
      .filter((l) => /^tunnelgate_gateway_device_(tunnels|connect)/.test(l));
    // Two labelled devices and _other, in each of the three metrics.
    expect(series).toHaveLength(9);
    expect(
      sample(text, 'tunnelgate_gateway_device_connects_total{device="_other",outcome="ok"}'),
    ).toBe(498);
    expect(sample(text, 'tunnelgate_gateway_device_tunnels_active{device="_other"}')).toBe(498);
    expect(sample(text, 'tunnelgate_gateway_device_tunnels_active{device="phone-0"}')).toBe(1);
  });
});
