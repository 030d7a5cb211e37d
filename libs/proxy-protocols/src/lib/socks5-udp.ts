import * as ipaddr from 'ipaddr.js';

/** One RFC 1928 §7 datagram: where it goes (or, coming back, where it came from) and its data. */
export interface Socks5Datagram {
  host: string;
  port: number;
  payload: Buffer;
}

const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

/**
 * Reads the header of a SOCKS5 UDP datagram (RSV RSV FRAG ATYP DST.ADDR DST.PORT DATA). Answers
 * why it is dropped instead of throwing: datagrams come from anyone who can reach the port, and
 * the relay drops what it cannot use, as RFC 1928 asks. Fragments are dropped (the RFC lets a
 * relay that does not reassemble do so; no common client sends them).
 */
export function parseSocks5Datagram(packet: Buffer): Socks5Datagram | string {
  if (packet.length < 4) return 'shorter than a SOCKS5 UDP header';
  if (packet[0] !== 0 || packet[1] !== 0) return 'reserved bytes are not zero';
  if (packet[2] !== 0) return 'fragmented datagrams are not relayed';
  let host: string;
  let end: number;
  switch (packet[3]) {
    case ATYP_IPV4:
      end = 8;
      if (packet.length < end + 2) return 'truncated IPv4 address';
      host = ipaddr.fromByteArray([...packet.subarray(4, end)]).toString();
      break;
    case ATYP_IPV6:
      end = 20;
      if (packet.length < end + 2) return 'truncated IPv6 address';
      host = ipaddr.fromByteArray([...packet.subarray(4, end)]).toString();
      break;
    case ATYP_DOMAIN: {
      const length = packet[4] ?? 0;
      end = 5 + length;
      if (length === 0 || packet.length < end + 2) return 'truncated domain name';
      host = packet.subarray(5, end).toString('latin1');
      if (!/^[A-Za-z0-9.-]+$/.test(host)) return 'not a host name';
      break;
    }
    default:
      return `unknown address type ${packet[3]}`;
  }
  const port = packet.readUInt16BE(end);
  if (port === 0) return 'port 0';
  return { host, port, payload: packet.subarray(end + 2) };
}

/** A datagram for the client: the header naming `from` (an IP address), then `payload`. */
export function socks5DatagramFrom(
  from: { address: string; port: number },
  payload: Buffer,
): Buffer {
  const address = ipaddr.process(from.address);
  const bytes = address.toByteArray();
  const header = Buffer.alloc(4 + bytes.length + 2);
  header[3] = address.kind() === 'ipv6' ? ATYP_IPV6 : ATYP_IPV4;
  header.set(bytes, 4);
  header.writeUInt16BE(from.port, 4 + bytes.length);
  return Buffer.concat([header, payload]);
}
