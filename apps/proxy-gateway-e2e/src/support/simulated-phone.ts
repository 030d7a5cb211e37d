import { GatewayInstance } from './gateway-instance';
import type { TunnelApiProcess } from '@tunnelgate/app-testing';

/** The lab's phone: a gateway in device mode on 127.0.0.2, reaching origins on 127.0.0.1. */
export function simulatedPhone(env: Record<string, string> = {}): GatewayInstance {
  return new GatewayInstance({
    TUNNELGATE_GATEWAY_MODE: 'device',
    TUNNELGATE_GATEWAY_HTTP_LISTEN: '127.0.0.2:0',
    TUNNELGATE_GATEWAY_SOCKS_LISTEN: '127.0.0.2:0',
    TUNNELGATE_GATEWAY_DIRECT_ALLOW: '127.0.0.1/32',
    ...env,
  });
}

/** Registers the lab's phone (a gateway in device mode on 127.0.0.2) as `dev-sim`, online. */
export async function registerSimulatedPhone(
  api: TunnelApiProcess,
  device: GatewayInstance,
): Promise<void> {
  const put = await api.call('PUT', '/v1/devices/dev-sim', {
    name: 'simulated phone',
    vpnIp: '127.0.0.2',
    httpPort: device.port('http'),
    socksPort: device.port('socks5'),
    basePort: null,
  });
  if (put.status !== 200) throw new Error(`registering the phone answered ${put.status}`);
  const online = await api.call('POST', '/v1/devices/dev-sim/connected');
  if (online.status !== 200) throw new Error(`the phone's connect answered ${online.status}`);
}
