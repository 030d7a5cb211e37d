/**
 * An OpenVPN 2.6 customer's command line for tests (UDP to port 1194, the server's certificate
 * checked against `ca`, the password from `credentials`). Several clients share one namespace,
 * so the pushed routes are not taken, and unless `configureTun` their tun stays unconfigured.
 */
export function openvpnClientArgs(options: {
  remote: string;
  ca: string;
  credentials: string;
  dev?: string;
  configureTun?: boolean;
}): string[] {
  return [
    '--client',
    '--dev',
    options.dev ?? 'tun',
    '--dev-type',
    'tun',
    '--proto',
    'udp',
    '--remote',
    options.remote,
    '1194',
    '--ca',
    options.ca,
    '--remote-cert-tls',
    'server',
    '--auth-user-pass',
    options.credentials,
    '--nobind',
    '--route-nopull',
    ...(options.configureTun ? [] : ['--ifconfig-noexec']),
    '--verb',
    '3',
  ];
}
