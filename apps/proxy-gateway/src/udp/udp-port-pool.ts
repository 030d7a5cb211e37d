import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { PortRange } from '@tunnelgate/config';

/** Binds tried per association before giving up when others hold ports of the range. */
const ATTEMPTS = 16;

function bind(address: string, port: number): Promise<DatagramSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    // Exclusive: a cluster worker binds the port itself, so two workers can never share one
    // association's socket through the primary.
    socket.bind({ port, address, exclusive: true }, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/**
 * The datagram ports of UDP associations: kernel-chosen, or from the operator's range (so a
 * firewall can admit exactly those). Ports this process holds are skipped without a bind; a
 * port someone else holds costs one failed bind. Rejects when no port could be had.
 */
export class UdpPortPool {
  private readonly held = new Set<number>();
  private next: number;

  constructor(private readonly range: PortRange | undefined) {
    this.next = range ? range.from + Math.floor(Math.random() * (range.to - range.from + 1)) : 0;
  }

  async open(address: string): Promise<DatagramSocket> {
    if (!this.range) return bind(address, 0);
    const size = this.range.to - this.range.from + 1;
    let attempts = 0;
    for (let scanned = 0; scanned < size && attempts < ATTEMPTS; scanned++) {
      const port = this.advance();
      if (this.held.has(port)) continue;
      attempts++;
      const socket = await bind(address, port).catch(() => undefined);
      if (!socket) continue;
      this.held.add(port);
      socket.once('close', () => this.held.delete(port));
      return socket;
    }
    throw new Error(`no free UDP port in ${this.range.from}-${this.range.to}`);
  }

  private advance(): number {
    const range = this.range as PortRange;
    const port = this.next;
    this.next = port >= range.to ? range.from : port + 1;
    return port;
  }
}
