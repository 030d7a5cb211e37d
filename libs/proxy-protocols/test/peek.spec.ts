import { randomBytes } from 'node:crypto';
import { MAX_HTTP_HEAD_BYTES, peekClientHelloSni, peekHttpHost } from '../src';
import { realClientHello, splitIntoTwoRecords } from '../src/testing';

describe('peekClientHelloSni', () => {
  it('finds the SNI of a real ClientHello, and waits while any part is missing', async () => {
    const hello = await realClientHello('Shop.Example.com');
    expect(peekClientHelloSni(hello)).toEqual({ status: 'found', host: 'shop.example.com' });
    for (let cut = 0; cut < hello.length; cut++)
      expect(peekClientHelloSni(hello.subarray(0, cut))).toEqual({ status: 'incomplete' });
  });

  it('reads a 4 KB hello, and one split across two TLS records', async () => {
    const big = await realClientHello('big.example.net', 16);
    expect(big.length).toBeGreaterThan(4000);
    expect(peekClientHelloSni(big)).toEqual({ status: 'found', host: 'big.example.net' });
    const split = splitIntoTwoRecords(big);
    expect(peekClientHelloSni(split)).toEqual({ status: 'found', host: 'big.example.net' });
    expect(peekClientHelloSni(split.subarray(0, split.length - 1))).toEqual({
      status: 'incomplete',
    });
  });

  it('reports a hello without SNI as found without a host, and other bytes as other', async () => {
    expect(peekClientHelloSni(await realClientHello(undefined))).toEqual({
      status: 'found',
      host: undefined,
    });
    expect(peekClientHelloSni(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ status: 'other' });
    expect(peekClientHelloSni(Buffer.from([0x16, 0x02]))).toEqual({ status: 'other' });
  });

  it('survives garbage and every single-byte mutation of a real hello', async () => {
    const hello = await realClientHello('mutate.example.org');
    for (let i = 0; i < hello.length; i++) {
      const mutated = Buffer.from(hello);
      mutated[i] = (mutated[i] as number) ^ 0xff;
      expect(['incomplete', 'other', 'found']).toContain(peekClientHelloSni(mutated).status);
    }
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(1 + (i % 300));
      if (i % 2) junk[0] = 0x16;
      expect(() => peekClientHelloSni(junk)).not.toThrow();
    }
  });
});

describe('peekHttpHost', () => {
  const request = (head: string) => Buffer.from(head, 'latin1');

  it('finds the Host header, without its port', () => {
    expect(
      peekHttpHost(
        request('GET /a HTTP/1.1\r\nUser-Agent: x\r\nHost: WWW.Example.com:8080\r\n\r\n'),
      ),
    ).toEqual({
      status: 'found',
      host: 'www.example.com',
    });
    expect(peekHttpHost(request('POST / HTTP/1.1\r\nhost: api.example.com\r\n'))).toEqual({
      status: 'found',
      host: 'api.example.com',
    });
  });

  it('waits for more of a head, and gives up on one without Host', () => {
    expect(peekHttpHost(request('GE'))).toEqual({ status: 'incomplete' });
    expect(peekHttpHost(request('GET / HTTP/1.1\r\nAccept: */*\r\n'))).toEqual({
      status: 'incomplete',
    });
    expect(peekHttpHost(request('GET / HTTP/1.1\r\nHo'))).toEqual({ status: 'incomplete' });
    expect(peekHttpHost(request('GET / HTTP/1.0\r\n\r\n'))).toEqual({
      status: 'found',
      host: undefined,
    });
    expect(peekHttpHost(Buffer.alloc(MAX_HTTP_HEAD_BYTES, 'GET /aaaaaa'))).toEqual({
      status: 'found',
      host: undefined,
    });
  });

  it('takes no IP literal or malformed name as a host name, and no TLS as HTTP', () => {
    expect(peekHttpHost(request('GET / HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n'))).toEqual({
      status: 'found',
      host: undefined,
    });
    expect(peekHttpHost(request('GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n'))).toEqual({
      status: 'found',
      host: undefined,
    });
    expect(peekHttpHost(request('GET / HTTP/1.1\r\nHost: evil.com\r\nx: y\r\n\r\n')).status).toBe(
      'found',
    );
    expect(peekHttpHost(request('GET / HTTP/1.1\r\nHost: a b\r\n\r\n'))).toEqual({
      status: 'found',
      host: undefined,
    });
    expect(peekHttpHost(Buffer.from([0x16, 0x03, 0x01]))).toEqual({ status: 'other' });
    for (let i = 0; i < 2000; i++)
      expect(() => peekHttpHost(randomBytes(1 + (i % 200)))).not.toThrow();
  });
});
