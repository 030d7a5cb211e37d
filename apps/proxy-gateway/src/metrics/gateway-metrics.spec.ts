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
    const { counters } = gatewayMetrics(registry);
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
