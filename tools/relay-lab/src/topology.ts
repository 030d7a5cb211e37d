import { link, Netns } from '@tunnelgate/netns-testing';

/**
 * Addresses that exist only inside the lab's namespaces. Documentation and benchmark ranges
 * where the role is "the internet", so nothing here can collide with a real network.
 */
export const LAB = {
  /** The relay's public address: customers' OpenVPN remote and the devices' public ports. */
  relayPublic: '198.51.100.1',
  /** Five addresses: small enough that OpenVPN reuses one for another customer in a test. */
  customerSubnet: '10.9.0.0/29',
  relayTun: '10.9.0.1',
  deviceSubnet: '192.168.255.0/24',
  relayDeviceSide: '192.168.255.1',
  /** The origin servers; only the devices have a route to them. */
  target: '203.0.113.10',
  targetName: 'target.test',
  /** A resolver address customers might query directly. */
  resolver: '203.0.113.53',
  /** An IPv6 address on the customers' native network: reachable only by leaking past the VPN. */
  targetV6: '2001:db8:ffff::10',
} as const;

export interface DeviceSite {
  id: string;
  ns: Netns;
  /** The device VPN IP its proxies listen on. */
  vpnIp: string;
  /** The address the target sees when this device is the exit. */
  egressIp: string;
  /** The relay's public port DNATed to the device's HTTP proxy. */
  basePort: number;
}

export interface Topology {
  relay: Netns;
  /** The relay's uplink: whatever reaches it left the relay raw. */
  wan: Netns;
  target: Netns;
  devices: readonly [DeviceSite, DeviceSite];
  /** Customer machines that run an OpenVPN client; the first one also has native IPv6. */
  vpnCustomers: readonly [Netns, Netns, Netns];
  /** A customer machine that uses the HTTP/SOCKS5 proxies and the device ports, no VPN. */
  proxyCustomer: Netns;
}

const DEVICE_PLAN = [
  { id: 'dev-a', octet: 2, basePort: 31000 },
  { id: 'dev-b', octet: 3, basePort: 31010 },
] as const;

/**
 *   customers ──veth── relay ──veth (point to point, as the phones' tunnels)── device ── target
 *                        └──── wan (uplink)
 * The relay has a default route to the wan and none to the target, so a response from the
 * target proves the traffic went through a device, and anything counted on the wan leaked.
 */
export function buildTopology(): Topology {
  const relay = new Netns();
  const wan = new Netns();
  const target = new Netns();
  const made: Netns[] = [relay, wan, target];
  try {
    relay.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    relay.exec('ip', ['addr', 'add', `${LAB.relayPublic}/32`, 'dev', 'lo']);
    link(relay, 'uplink', '100.64.0.1/30', wan, 'relay', '100.64.0.2/30');
    relay.exec('ip', ['route', 'add', 'default', 'via', '100.64.0.2']);

    target.exec('ip', ['addr', 'add', `${LAB.target}/32`, 'dev', 'lo']);
    target.hosts(`127.0.0.1 localhost\n`);
    const devices = DEVICE_PLAN.map(({ id, octet, basePort }): DeviceSite => {
      const ns = new Netns();
      made.push(ns);
      const vpnIp = `192.168.255.${octet}`;
      link(
        relay,
        id,
        `${LAB.relayDeviceSide} peer ${vpnIp}`,
        ns,
        'vpn0',
        `${vpnIp} peer ${LAB.relayDeviceSide}`,
      );
      link(ns, 'wwan0', `198.18.${octet}.2/24`, target, id, `198.18.${octet}.1/24`);
      ns.exec('ip', ['route', 'add', 'default', 'via', `198.18.${octet}.1`]);
      ns.hosts(`127.0.0.1 localhost\n${LAB.target} ${LAB.targetName}\n`);
      return { id, ns, vpnIp, egressIp: `198.18.${octet}.2`, basePort };
    }) as unknown as [DeviceSite, DeviceSite];

    const customer = (index: number): Netns => {
      const ns = new Netns();
      made.push(ns);
      link(relay, `cust${index}`, `172.16.${index}.1/24`, ns, 'eth0', `172.16.${index}.2/24`);
      ns.exec('ip', ['route', 'add', 'default', 'via', `172.16.${index}.1`]);
      // The customer's own resolver knows the target's name: DNS is not what is under test.
      ns.hosts(`127.0.0.1 localhost\n${LAB.target} ${LAB.targetName}\n`);
      return ns;
    };
    const vpnCustomers = [customer(1), customer(2), customer(3)] as const;
    // A dual-stack customer: its ISP (the wan) gives it IPv6, where the VPN gives only IPv4.
    link(
      vpnCustomers[0],
      'isp6',
      '2001:db8:c1::2/64 nodad',
      wan,
      'cust1',
      '2001:db8:c1::1/64 nodad',
    );
    vpnCustomers[0].exec('ip', ['-6', 'route', 'add', 'default', 'via', '2001:db8:c1::1']);
    wan.exec('ip', ['-6', 'addr', 'add', `${LAB.targetV6}/128`, 'dev', 'lo', 'nodad']);
    const proxyCustomer = customer(4);
    return { relay, wan, target, devices, vpnCustomers, proxyCustomer };
  } catch (error) {
    for (const ns of made) ns.remove();
    throw error;
  }
}

export function removeTopology(topology: Topology): void {
  const { relay, wan, target, devices, vpnCustomers, proxyCustomer } = topology;
  for (const ns of [
    relay,
    wan,
    target,
    ...devices.map((d) => d.ns),
    ...vpnCustomers,
    proxyCustomer,
  ])
    ns.remove();
}
