import type { DeviceProxyCredentials } from '@tunnelgate/sessions';
import { authority, refuseInvalidTarget, type Dialer } from './dialer';
import { readAnswer, tcpConnect } from './tcp-connect';
import { UpstreamError } from './upstream-error';

const MAX_ANSWER_BYTES = 16 * 1024;

function headLength(buffer: Buffer): number {
  const end = buffer.indexOf('\r\n\r\n');
  return end < 0 ? -1 : end + 4;
}

/**
 * Through an HTTP proxy (the phone's :8080) with CONNECT. The deadline covers the TCP connect
 * and the proxy's answer; bytes that arrive after the answer stay on the socket.
 */
export function httpConnectDialer(
  proxy: { host: string; port: number; credentials: DeviceProxyCredentials | null },
  timeoutMs: number,
): Dialer {
  const auth = proxy.credentials
    ? `Proxy-Authorization: Basic ${Buffer.from(`${proxy.credentials.username}:${proxy.credentials.password}`).toString('base64')}\r\n`
    : '';
  return async (target, reader) => {
    refuseInvalidTarget(target);
    const startedAt = Date.now();
    const socket = await tcpConnect(proxy.host, proxy.port, timeoutMs, undefined, reader);
    const where = authority(target);
    try {
      socket.write(`CONNECT ${where} HTTP/1.1\r\nHost: ${where}\r\n${auth}\r\n`);
      const head = await readAnswer(
        socket,
        headLength,
        MAX_ANSWER_BYTES,
        Math.max(1, timeoutMs - (Date.now() - startedAt)),
        reader,
      );
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'))?.[1];
      if (!status)
        throw new UpstreamError(
          'PROXY_PROTOCOL',
          'the device proxy answered something that is not HTTP',
        );
      if (status !== '200')
        throw new UpstreamError(proxyStatusCode(status), `the device proxy answered ${status}`);
      return socket;
    } catch (error) {
      socket.destroy();
      throw error;
    }
  };
}

/** What a proxy's refusal says about the destination, in the codes the listeners map. */
function proxyStatusCode(status: string): string {
  switch (status) {
    case '403':
      return 'FORBIDDEN';
    case '404':
    case '502':
      return 'EHOSTUNREACH';
    case '504':
      return 'ETIMEDOUT';
    default:
      return 'PROXY_REFUSED';
  }
}
