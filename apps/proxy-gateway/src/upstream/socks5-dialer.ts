import { isIP, type Socket } from 'node:net';
import type { DeviceProxyCredentials } from '@tunnelgate/sessions';
import * as ipaddr from 'ipaddr.js';
import { refuseInvalidTarget, type Target } from './dialer';
import { requestStream, type DeviceProxyProtocol } from './device-proxy';
import { readAnswer, tcpConnect } from './tcp-connect';
import { UpstreamError } from './upstream-error';

const REPLY_CODES: Record<number, string> = {
  0x02: 'FORBIDDEN',
  0x03: 'ENETUNREACH',
  0x04: 'EHOSTUNREACH',
  0x05: 'ECONNREFUSED',
  0x06: 'ETIMEDOUT',
  0x07: 'ENOTSUP',
};

/** RFC 1928 request commands the gateway sends a device. */
export const SOCKS5_CONNECT = 0x01;
export const SOCKS5_UDP_ASSOCIATE = 0x03;

function request(command: number, target: Target): Buffer {
  const port = [(target.port >> 8) & 0xff, target.port & 0xff];
  if (isIP(target.host)) {
    const address = ipaddr.parse(target.host);
    return Buffer.from([
      5,
      command,
      0,
      address.kind() === 'ipv6' ? 4 : 1,
      ...address.toByteArray(),
      ...port,
    ]);
  }
  const name = Buffer.from(target.host, 'latin1');
  return Buffer.concat([Buffer.from([5, command, 0, 3, name.length]), name, Buffer.from(port)]);
}

/** The length of a complete reply, or -1 while it is still arriving. */
function replyLength(buffer: Buffer): number {
  if (buffer.length < 5) return -1;
  const addressLength =
    buffer[3] === 1 ? 4 : buffer[3] === 4 ? 16 : buffer[3] === 3 ? 1 + (buffer[4] ?? 0) : 0;
  const length = 4 + addressLength + 2;
  return buffer.length >= length ? length : -1;
}

export interface Socks5Proxy {
  host: string;
  port: number;
  credentials: DeviceProxyCredentials | null;
}

/** BND.ADDR and BND.PORT of a success reply (where a UDP association's relay listens). */
export function boundAddress(reply: Buffer): Target {
  if (reply[3] === 1 || reply[3] === 4) {
    const end = reply[3] === 1 ? 8 : 20;
    return {
      host: ipaddr.fromByteArray([...reply.subarray(4, end)]).toString(),
      port: reply.readUInt16BE(end),
    };
  }
  const end = 5 + (reply[4] ?? 0);
  return { host: reply.subarray(5, end).toString('latin1'), port: reply.readUInt16BE(end) };
}

/**
 * The phone's SOCKS5 proxy (:1080), for one RFC 1928 command: a ready connection has been
 * greeted and, when the device has credentials, authenticated (RFC 1929). Hand-written client: a
 * few fixed-size messages, and every failure must become the right UpstreamError, which the
 * socksv5 client does not report.
 */
export function socks5Proxy(proxy: Socks5Proxy, command = SOCKS5_CONNECT): DeviceProxyProtocol {
  return {
    maxAnswerBytes: 262,
    async prepare(timeoutMs, reader) {
      const deadline = Date.now() + timeoutMs;
      const left = () => Math.max(1, deadline - Date.now());
      const socket = await tcpConnect(proxy.host, proxy.port, timeoutMs, undefined, reader);
      try {
        const method = proxy.credentials ? 0x02 : 0x00;
        socket.write(Buffer.from([5, 1, method]));
        const choice = await readAnswer(socket, (b) => (b.length >= 2 ? 2 : -1), 2, left(), reader);
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
          const status = await readAnswer(
            socket,
            (b) => (b.length >= 2 ? 2 : -1),
            2,
            left(),
            reader,
          );
          if (status[1] !== 0)
            throw new UpstreamError(
              'PROXY_REFUSED',
              'the device SOCKS5 proxy refused our credentials',
            );
        }
        return { socket, reader };
      } catch (error) {
        socket.destroy();
        throw error;
      }
    },
    request: (target) => request(command, target),
    answerLength: replyLength,
    check(reply) {
      if (reply[0] !== 5)
        throw new UpstreamError('PROXY_PROTOCOL', 'the device proxy does not speak SOCKS5');
      if (reply[1] !== 0)
        throw new UpstreamError(
          REPLY_CODES[reply[1] ?? 1] ?? 'PROXY_REFUSED',
          `the device SOCKS5 proxy replied ${reply[1]}`,
        );
    },
  };
}

/**
 * One RFC 1928 request on a fresh connection (UDP ASSOCIATE's control connection); resolves with
 * the open connection and the success reply.
 */
export async function socks5Negotiate(
  proxy: Socks5Proxy,
  command: number,
  target: Target,
  timeoutMs: number,
): Promise<{ socket: Socket; reply: Buffer }> {
  refuseInvalidTarget(target);
  const protocol = socks5Proxy(proxy, command);
  const startedAt = Date.now();
  const ready = await protocol.prepare(timeoutMs);
  const left = Math.max(1, timeoutMs - (Date.now() - startedAt));
  const reply = await requestStream(protocol, ready, target, undefined, left);
  return { socket: ready.socket, reply };
}
