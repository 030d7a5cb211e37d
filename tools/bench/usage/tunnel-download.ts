import { connect } from 'node:net';

export interface Download {
  /** The proxy's answer to the CONNECT. */
  status: string;
  /** Bytes the client sent and received on its connection to the gateway, handshake included. */
  socketBytes: number;
  /** Bytes that went through the tunnel, both ways (the CONNECT and its answer excluded). */
  tunnelBytes: number;
}

/**
 * One customer: an HTTP CONNECT through a gateway to the origin, a GET of `size` bytes paced at
 * `rate` (0: full speed), read until the origin or the gateway closes.
 */
export function tunnelDownload(
  proxyPort: number,
  account: string,
  password: string,
  originPort: number,
  size: number,
  rate = 0,
): Promise<Download> {
  return new Promise((resolve, reject) => {
    const target = `127.0.0.1:${originPort}`;
    const socket = connect(proxyPort, '127.0.0.1');
    const credentials = Buffer.from(`${account}:${password}`).toString('base64');
    const request = `GET /bytes/${size}${rate ? `?rate=${rate}` : ''} HTTP/1.1\r\nHost: origin\r\n\r\n`;
    let head = '';
    let status = '';
    let headBytes = 0;
    let requestSent = 0;
    socket.once('connect', () =>
      socket.write(
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: Basic ${credentials}\r\n\r\n`,
      ),
    );
    const onHead = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      headBytes = end + 4;
      status = head.slice(0, head.indexOf('\r\n'));
      if (status.startsWith('HTTP/1.1 200')) {
        requestSent = request.length;
        socket.write(request);
      }
    };
    socket.on('data', onHead);
    socket.once('error', reject);
    socket.once('close', () =>
      resolve({
        status,
        socketBytes: socket.bytesRead + socket.bytesWritten,
        tunnelBytes: requestSent ? socket.bytesRead - headBytes + requestSent : 0,
      }),
    );
  });
}
