import * as ipaddr from 'ipaddr.js';

/**
 * Chooses OpenVPN clients' addresses in an instance's subnet, for management mode (OpenVPN's
 * own pool never sees these clients). Skips the network, the server's own first address and
 * the broadcast; goes round the subnet from where it last stopped, so a freed address is the
 * last to be given again (conntrack entries of its old owner have expired by then). Addresses
 * handed out but not yet stored are held, so concurrent admits never share one.
 */
export class AddressPool {
  private readonly cursors = new Map<string, number>();
  private readonly held = new Set<string>();

  /** A free address of `subnet` (not in `used`, not held), now held; undefined when full. */
  take(subnet: string, used: ReadonlySet<string>): string | undefined {
    const [network, prefix] = ipaddr.IPv4.parseCIDR(subnet);
    const base = ipaddr.IPv4.networkAddressFromCIDR(subnet).toByteArray();
    const first = base.reduce((n, octet) => n * 256 + octet, 0);
    const size = 2 ** (32 - prefix);
    // Hosts first + 2 … first + size - 2: not the network, the server (+1), the broadcast.
    const hosts = size - 3;
    if (hosts <= 0 || network.kind() !== 'ipv4') return undefined;
    const start = this.cursors.get(subnet) ?? 0;
    for (let step = 0; step < hosts; step++) {
      const offset = (start + step) % hosts;
      const value = first + 2 + offset;
      const address = [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
      if (used.has(address) || this.held.has(address)) continue;
      this.cursors.set(subnet, offset + 1);
      this.held.add(address);
      return address;
    }
    return undefined;
  }

  release(address: string): void {
    this.held.delete(address);
  }
}
