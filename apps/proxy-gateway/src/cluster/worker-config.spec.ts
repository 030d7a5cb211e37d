import { parseGatewayConfig } from '../config/gateway.config';
import { asWorker, clusterConfigErrors } from './worker-config';

describe('a worker config', () => {
  it("gives each worker a holder name of its own, within the store's 64 characters", () => {
    const config = parseGatewayConfig({ TUNNELGATE_GATEWAY_ID: 'relay-a' });
    expect(asWorker(config, 0).usage.reporter).toBe('relay-a-w0');
    expect(asWorker(config, 11).usage.reporter).toBe('relay-a-w11');
    const long = parseGatewayConfig({ TUNNELGATE_GATEWAY_ID: 'x'.repeat(64) });
    expect(asWorker(long, 3).usage.reporter).toBe(`${'x'.repeat(61)}-w3`);
  });

  it('refuses several workers on a kernel-chosen port, naming the listener', () => {
    const config = parseGatewayConfig({
      TUNNELGATE_GATEWAY_WORKERS: '2',
      TUNNELGATE_GATEWAY_HTTP_LISTEN: '127.0.0.1:0',
      TUNNELGATE_GATEWAY_SOCKS_LISTEN: '127.0.0.1:1080',
    });
    expect(clusterConfigErrors(config)).toEqual([
      expect.stringMatching(/^the http listener has port 0/),
    ]);
    expect(clusterConfigErrors(parseGatewayConfig({}))).toEqual([]);
  });

  it('runs a worker per CPU this process may use unless told', () => {
    expect(parseGatewayConfig({}).workers).toBeGreaterThanOrEqual(1);
    expect(parseGatewayConfig({ TUNNELGATE_GATEWAY_WORKERS: '3' }).workers).toBe(3);
  });
});
