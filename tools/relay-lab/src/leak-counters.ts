import type { Netns } from '@tunnelgate/netns-testing';

/**
 * Counters on the wan for TCP and UDP that arrive from the relay (customer traffic that left the
 * relay without going through a device) or over the dual-stack customer's native IPv6 (traffic
 * that went around the VPN). ICMP and neighbour discovery are not counted: only payload leaks.
 */
export class LeakCounters {
  constructor(
    private readonly wan: Netns,
    customerSubnet: string,
  ) {
    for (const protocol of ['tcp', 'udp']) {
      // The lab's customers also reach the relay over plain veths, which it routes like any
      // router: only customer VPN addresses leaving it count as a leak.
      const fromCustomers = ['-i', 'relay', '-s', customerSubnet, '-p', protocol];
      wan.exec('iptables', ['-t', 'raw', '-A', 'PREROUTING', ...fromCustomers]);
      wan.exec('ip6tables', ['-t', 'raw', '-A', 'PREROUTING', '-i', 'relay', '-p', protocol]);
      wan.exec('ip6tables', ['-t', 'raw', '-A', 'PREROUTING', '-i', 'cust1', '-p', protocol]);
    }
  }

  /** Packets counted so far, per way out. */
  read(): { fromRelay: number; aroundVpn: number } {
    // iptables-save -c prints each rule as `[packets:bytes] -A PREROUTING [-s <cidr>] -i <iface> -p <proto>`.
    const sum = (tool: string, iface: string) =>
      this.wan
        .exec(tool, ['-c', '-t', 'raw'])
        .split('\n')
        .map((line) => /^\[(\d+):\d+\] -A PREROUTING (?:-s \S+ )?-i (\S+) /.exec(line))
        .filter((m): m is RegExpExecArray => m !== null && m[2] === iface)
        .reduce((total, m) => total + Number(m[1]), 0);
    return {
      fromRelay: sum('iptables-save', 'relay') + sum('ip6tables-save', 'relay'),
      aroundVpn: sum('ip6tables-save', 'cust1'),
    };
  }
}
