/** Where the relay's networks are; the defaults are the platform's. */
export interface FirewallSettings {
  /** OpenVPN customers' pool. */
  customerSubnet: string;
  /** The customer tun device; `tun+` matches any tun. */
  customerInterface: string;
  /** Devices' VPN subnet. */
  deviceSubnet: string;
  /** The gateway's transparent listener, the REDIRECT target. */
  transparentPort: number;
  /**
   * DNS from customers: `reject` fails fast (icmp-port-unreachable) until the relay runs a
   * resolver; `redirect` sends UDP and TCP port 53 to the relay's resolver on `port`.
   */
  customerDns: { kind: 'reject' } | { kind: 'redirect'; port: number };
}

export const DEFAULT_FIREWALL_SETTINGS: FirewallSettings = {
  customerSubnet: '10.9.0.0/24',
  customerInterface: 'tun0',
  deviceSubnet: '192.168.255.0/24',
  transparentPort: 12345,
  customerDns: { kind: 'reject' },
};
