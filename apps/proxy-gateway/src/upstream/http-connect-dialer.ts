import type { DeviceProxyCredentials } from '@tunnelgate/sessions';
import { authority } from './dialer';
import type { DeviceProxyProtocol } from './device-proxy';
import { tcpConnect } from './tcp-connect';
import { UpstreamError } from './upstream-error';

function headLength(buffer: Buffer): number {
  const end = buffer.indexOf('\r\n\r\n');
  return end < 0 ? -1 : end + 4;
}

/**
 * The phone's HTTP proxy (:8080), spoken with CONNECT: nothing precedes the request, so a ready
 * connection is a connected one.
 */
export function httpConnectProxy(proxy: {
  host: string;
  port: number;
  credentials: DeviceProxyCredentials | null;
}): DeviceProxyProtocol {
  const auth = proxy.credentials
    ? `Proxy-Authorization: Basic ${Buffer.from(`${proxy.credentials.username}:${proxy.credentials.password}`).toString('base64')}\r\n`
    : '';
  return {
    maxAnswerBytes: 16 * 1024,
    async prepare(timeoutMs, reader) {
      const socket = await tcpConnect(proxy.host, proxy.port, timeoutMs, undefined, reader);
      return { socket, reader };
    },
    request(target) {
      const where = authority(target);
      return Buffer.from(`CONNECT ${where} HTTP/1.1\r\nHost: ${where}\r\n${auth}\r\n`, 'latin1');
    },
    answerLength: headLength,
    check(answer) {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.toString('latin1'))?.[1];
      if (!status)
        throw new UpstreamError(
          'PROXY_PROTOCOL',
          'the device proxy answered something that is not HTTP',
        );
      if (status !== '200')
        throw new UpstreamError(proxyStatusCode(status), `the device proxy answered ${status}`);
    },
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
