import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { ipv4Address, socks5Request } from './raw-clients';

/** A SOCKS5 UDP ASSOCIATE client by hand: the control connection and a datagram socket. */
export class Socks5UdpClient {
  private readonly received: Buffer[] = [];
  private waiting: (() => void) | undefined;

  private constructor(
    readonly control: Socket,
    readonly relay: { host: string; port: number },
    readonly socket: DatagramSocket,
  ) {
    socket.on('message', (message) => {
      this.received.push(message);
      this.waiting?.();
    });
  }

  /** Resolves with the reply code, and the client when it is 0 (succeeded). */
  static async associate(
    proxyPort: number,
    credentials: { username: string; password: string } | undefined,
  ): Promise<{ reply: number | undefined; client?: Socks5UdpClient }> {
    const answer = await socks5Request(proxyPort, 3, ipv4Address('0.0.0.0'), 0, credentials);
    const reply = answer.bytes.length >= 10 ? answer.bytes[1] : undefined;
    if (reply !== 0) {
      answer.socket.destroy();
      return { reply };
    }
    const relay = {
      host: [...answer.bytes.subarray(4, 8)].join('.'),
      port: answer.bytes.readUInt16BE(8),
    };
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return { reply, client: new Socks5UdpClient(answer.socket, relay, socket) };
  }

  /** A datagram for `ip:port` (the SOCKS5 header, then the payload). */
  static packet(ip: string, port: number, payload: Buffer): Buffer {
    return Buffer.concat([
      Buffer.from([0, 0, 0]),
      ipv4Address(ip),
      Buffer.from([port >> 8, port & 0xff]),
      payload,
    ]);
  }

  send(ip: string, port: number, payload: Buffer): void {
    this.sendRaw(Socks5UdpClient.packet(ip, port, payload));
  }

  sendRaw(packet: Buffer): void {
    this.socket.send(packet, this.relay.port, this.relay.host);
  }

  /** The next datagram back, or undefined when none came within `withinMs`. */
  async next(withinMs: number): Promise<Buffer | undefined> {
    if (this.received.length === 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, withinMs);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    this.waiting = undefined;
    return this.received.shift();
  }

  close(): void {
    this.control.destroy();
    this.socket.close();
  }
}

/** A UDP server on 127.0.0.1 answering every datagram with "echo:" and the datagram. */
export async function udpEcho(): Promise<{ port: number; senders: Set<string>; close(): void }> {
  const socket = createSocket('udp4');
  const senders = new Set<string>();
  socket.on('message', (message, from) => {
    senders.add(`${from.address}:${from.port}`);
    socket.send(Buffer.concat([Buffer.from('echo:'), message]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, senders, close: () => socket.close() };
}
