import { parseSocks5Datagram, socks5DatagramFrom } from '../src';

const header = (atyp: number, address: number[], port: number) =>
  Buffer.from([0, 0, 0, atyp, ...address, port >> 8, port & 0xff]);

describe('SOCKS5 UDP datagrams (RFC 1928 §7)', () => {
  it('reads IPv4, IPv6 and domain destinations and keeps the payload untouched', () => {
    const data = Buffer.from('dns query');
    expect(parseSocks5Datagram(Buffer.concat([header(1, [192, 0, 2, 7], 53), data]))).toEqual({
      host: '192.0.2.7',
      port: 53,
      payload: data,
    });
    const v6 = [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 1];
    expect(parseSocks5Datagram(Buffer.concat([header(4, v6, 443), data]))).toEqual({
      host: '2001:db8::1',
      port: 443,
      payload: data,
    });
    const name = [...Buffer.from('example.com')];
    expect(
      parseSocks5Datagram(Buffer.concat([header(3, [name.length, ...name], 5353), data])),
    ).toEqual({ host: 'example.com', port: 5353, payload: data });
  });

  it('says why it drops what it cannot relay', () => {
    expect(parseSocks5Datagram(Buffer.from([0, 0]))).toMatch(/shorter/);
    expect(parseSocks5Datagram(Buffer.from([1, 0, 0, 1, 1, 2, 3, 4, 0, 53]))).toMatch(/reserved/);
    expect(parseSocks5Datagram(Buffer.from([0, 0, 1, 1, 1, 2, 3, 4, 0, 53]))).toMatch(/fragment/);
    expect(parseSocks5Datagram(Buffer.from([0, 0, 0, 1, 1, 2, 3]))).toMatch(/truncated IPv4/);
    expect(parseSocks5Datagram(Buffer.from([0, 0, 0, 4, 1, 2]))).toMatch(/truncated IPv6/);
    expect(parseSocks5Datagram(Buffer.from([0, 0, 0, 3, 9, 97, 98]))).toMatch(/truncated domain/);
    expect(parseSocks5Datagram(Buffer.from([0, 0, 0, 3, 0, 0, 53]))).toMatch(/truncated domain/);
    expect(parseSocks5Datagram(Buffer.from([0, 0, 0, 3, 2, 10, 13, 0, 53]))).toMatch(/host name/);
    expect(parseSocks5Datagram(Buffer.from([0, 0, 0, 9, 1, 2, 3, 4, 0, 53]))).toMatch(/type 9/);
    expect(parseSocks5Datagram(header(1, [1, 2, 3, 4], 0))).toMatch(/port 0/);
  });

  it('writes the header naming where an answer came from, IPv4-mapped addresses as IPv4', () => {
    const payload = Buffer.from('answer');
    const v4 = socks5DatagramFrom({ address: '::ffff:198.51.100.9', port: 53 }, payload);
    expect(v4).toEqual(Buffer.concat([header(1, [198, 51, 100, 9], 53), payload]));
    expect(parseSocks5Datagram(v4)).toEqual({ host: '198.51.100.9', port: 53, payload });
    const v6 = socks5DatagramFrom({ address: '2001:db8::2', port: 443 }, payload);
    expect(parseSocks5Datagram(v6)).toEqual({ host: '2001:db8::2', port: 443, payload });
  });
});
