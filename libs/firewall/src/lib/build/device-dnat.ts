import { devicePublicPorts, type Device } from '@tunnelgate/sessions';
import { CHAINS, tag } from '../model/naming';
import type { Rule } from '../model/rule';

export type DnatDevice = Pick<
  Device,
  'id' | 'vpnIp' | 'httpPort' | 'socksPort' | 'udpPort' | 'basePort'
>;

/** A device's three public ports (matched by destination port) DNATed to its proxies. */
export function deviceDnat(device: DnatDevice): Rule[] {
  const ports = devicePublicPorts(device);
  if (!ports) return [];
  const to = (
    protocol: 'tcp' | 'udp',
    publicPort: number,
    devicePort: number,
    key: string,
  ): Rule => ({
    chain: CHAINS.devices,
    match: { protocol, destinationPort: publicPort },
    target: { kind: 'DNAT', toAddress: device.vpnIp, toPort: devicePort },
    comment: tag('device', `${device.id}:${key}`),
  });
  return [
    to('tcp', ports.http, device.httpPort, 'http'),
    to('tcp', ports.socks5, device.socksPort, 'socks5'),
    to('udp', ports.udp, device.udpPort, 'udp'),
  ];
}
