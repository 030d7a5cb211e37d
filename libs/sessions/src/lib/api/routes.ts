/** tunnel-api's paths, shared so a renamed route breaks the compile of every caller. */
export const API_ROUTES = {
  openvpnAuth: '/v1/openvpn/auth',
  openvpnConnect: '/v1/openvpn/connect',
  openvpnDisconnect: '/v1/openvpn/disconnect',
  openvpnAdmit: '/v1/openvpn/admit',
  devices: '/v1/devices',
  accounts: '/v1/accounts',
  sessions: '/v1/sessions',
  watch: '/v1/watch',
  proxyAuth: '/v1/proxy/auth',
  usage: '/v1/usage',
  usageLeases: '/v1/usage/leases',
  usageLeaseRelease: '/v1/usage/leases/release',
  connectionSlots: '/v1/connections/slots',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
} as const;
