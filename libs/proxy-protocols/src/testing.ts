import { Duplex } from 'node:stream';
import { connect } from 'node:tls';

/**
 * The ClientHello Node's TLS stack sends for `servername`: its first flight, caught on a stream
 * that never answers. Many ALPN names make it as large as post-quantum browser hellos.
 */
export async function realClientHello(
  servername: string | undefined,
  alpnNames = 0,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let captured!: () => void;
  const done = new Promise<void>((resolve) => (captured = resolve));
  const wire = new Duplex({
    read() {
      /* never answers */
    },
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
      captured();
    },
  });
  const socket = connect({
    socket: wire,
    ...(servername ? { servername } : {}),
    ALPNProtocols: Array.from({ length: alpnNames }, (_, i) => `p${i}-${'x'.repeat(240)}`),
    rejectUnauthorized: false,
  });
  socket.on('error', () => undefined);
  await done;
  socket.destroy();
  return Buffer.concat(chunks);
}

/** The same hello re-framed as two TLS records (the handshake split between them). */
export function splitIntoTwoRecords(hello: Buffer): Buffer {
  const body = hello.subarray(5);
  const cut = Math.floor(body.length / 2);
  const record = (part: Buffer) =>
    Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part]);
  return Buffer.concat([record(body.subarray(0, cut)), record(body.subarray(cut))]);
}
