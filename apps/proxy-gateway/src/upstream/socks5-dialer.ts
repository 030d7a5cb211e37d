import { isIP } from 'node:net';
import type { DeviceProxyCredentials } from '@tunnelgate/sessions';
import * as ipaddr from 'ipaddr.js';
import type { Dialer, Target } from './dialer';
import { readAnswer, tcpConnect } from './tcp-connect';
import { UpstreamError } from './upstream-error';

const REPLY_CODES: Record<number, string> = {
  0x02: 'FORBIDDEN',
  0x03: 'ENETUNREACH',
  0x04: 'EHOSTUNREACH',
  0x05: 'ECONNREFUSED',
  0x06: 'ETIMEDOUT',
};

function connectRequest(target: Target): Buffer {
  const port = [(target.port >> 8) & 0xff, target.port & 0xff];
  if (isIP(target.host)) {
    const address = ipaddr.parse(target.host);
    return Buffer.from([
      5,
      1,
      0,
      address.kind() === 'ipv6' ? 4 : 1,
      ...address.toByteArray(),
      ...port,
    ]);
  }
  const name = Buffer.from(target.host, 'latin1');
  return Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from(port)]);
}

/** The length of a complete CONNECT reply, or -1 while it is still arriving. */
function replyLength(buffer: Buffer): number {
  if (buffer.length < 5) return -1;
  const addressLength =
    buffer[3] === 1 ? 4 : buffer[3] === 4 ? 16 : buffer[3] === 3 ? 1 + (buffer[4] ?? 0) : 0;
  const length = 4 + addressLength + 2;
  return buffer.length >= length ? length : -1;
}

/**
 * Through a SOCKS5 proxy (the phone's :1080), RFC 1928 CONNECT with RFC 1929 credentials when the
 * device has them. Hand-written client: a few fixed-size messages, and every failure must become
 * the right UpstreamError, which the socksv5 client does not report.
 */
export function socks5Dialer(
  proxy: { host: string; port: number; credentials: DeviceProxyCredentials | null },
  timeoutMs: number,
): Dialer {
  return async (target) => {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const socket = await tcpConnect(proxy.host, proxy.port, timeoutMs);
    try {
      const method = proxy.credentials ? 0x02 : 0x00;
      socket.write(Buffer.from([5, 1, method]));
      const choice = await readAnswer(socket, (b) => (b.length >= 2 ? 2 : -1), 2, left());
      if (choice[0] !== 5 || choice[1] !== method)
        throw new UpstreamError(
          'PROXY_REFUSED',
          'the device SOCKS5 proxy refused our authentication method',
        );
      if (proxy.credentials) {
        const user = Buffer.from(proxy.credentials.username);
        const pass = Buffer.from(proxy.credentials.password);
        socket.write(
          Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]),
        );
        const status = await readAnswer(socket, (b) => (b.length >= 2 ? 2 : -1), 2, left());
        if (status[1] !== 0)
          throw new UpstreamError(
            'PROXY_REFUSED',
            'the device SOCKS5 proxy refused our credentials',
          );
      }
      socket.write(connectRequest(target));
      const reply = await readAnswer(socket, replyLength, 262, left());
      if (reply[0] !== 5)
        throw new UpstreamError('PROXY_PROTOCOL', 'the device proxy does not speak SOCKS5');
      if (reply[1] !== 0)
        throw new UpstreamError(
          REPLY_CODES[reply[1] ?? 1] ?? 'PROXY_REFUSED',
          `the device SOCKS5 proxy replied ${reply[1]}`,
        );
      return socket;
    } catch (error) {
      socket.destroy();
      throw error;
    }
  };
}
