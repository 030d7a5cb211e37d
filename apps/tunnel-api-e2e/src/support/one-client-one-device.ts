import type { FirewallState } from '@tunnelgate/firewall';

/** The relay the packet tests build: one OpenVPN client and one phone with public ports. */
export const ONE_CLIENT_ONE_DEVICE: FirewallState = {
  sessions: [{ id: 'ses-1', vpnIp: '10.9.0.6' }],
  devices: [
    {
      id: 'dev-1',
      vpnIp: '192.168.255.10',
      httpPort: 8080,
      socksPort: 1080,
      udpPort: 1081,
      basePort: 20000,
    },
  ],
};
