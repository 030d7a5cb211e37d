import { MAX_HTTP_HEAD_BYTES, parseConnectRequest } from '../src';

const head = (text: string) => Buffer.from(text, 'latin1');

describe('parseConnectRequest', () => {
  const full =
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n' +
    'proxy-authorization:  Basic YTpi \t\r\nProxy-Authorization: Basic second\r\n\r\n';

  it('reads target and the first Proxy-Authorization, and waits while the head is cut short', () => {
    const parsed = parseConnectRequest(head(`${full}early bytes`));
    expect(parsed).toEqual({
      status: 'connect',
      target: 'example.com:443',
      proxyAuthorization: 'Basic YTpi',
      headLength: full.length,
    });
    for (let cut = 0; cut < full.length; cut++)
      expect(parseConnectRequest(head(full.slice(0, cut)))).toEqual({ status: 'incomplete' });
  });

  it('leaves every other request, and garbage, to the HTTP server', () => {
    for (const other of [
      'GET http://a/ HTTP/1.1\r\n\r\n',
      'CONNECTX',
      'connect a:1',
      'C0',
      '\x16\x03',
    ])
      expect(parseConnectRequest(head(other))).toEqual({ status: 'other' });
    expect(parseConnectRequest(head('CONNECT a:1 HTTP/1.1\r\n\r\n'))).toMatchObject({
      status: 'connect',
      proxyAuthorization: undefined,
    });
  });

  it('refuses what node:http would refuse: bad lines, control characters, folding, a huge head', () => {
    for (const bad of [
      'CONNECT a:1 HTTP/2.0\r\n\r\n',
      'CONNECT a:1\r\n\r\n',
      'CONNECT a b:1 HTTP/1.1\r\n\r\n',
      'CONNECT a:1 HTTP/1.1\r\nNo-Colon\r\n\r\n',
      'CONNECT a:1 HTTP/1.1\r\nBad Name: 1\r\n\r\n',
      'CONNECT a:1 HTTP/1.1\r\nX: a\x00b\r\n\r\n',
      'CONNECT a:1 HTTP/1.1\r\nX: 1\r\n folded\r\n\r\n',
      'CONNECT a:1 HTTP/1.1\nX: 1\n\n\r\n\r\n',
    ])
      expect(parseConnectRequest(head(bad))).toMatchObject({ status: 'invalid', code: 400 });
    const endless = head(`CONNECT a:1 HTTP/1.1\r\nX: ${'a'.repeat(MAX_HTTP_HEAD_BYTES)}`);
    expect(parseConnectRequest(endless)).toMatchObject({ status: 'invalid', code: 431 });
    const overlong = head(`CONNECT a:1 HTTP/1.1\r\nX: ${'a'.repeat(MAX_HTTP_HEAD_BYTES)}\r\n\r\n`);
    expect(parseConnectRequest(overlong)).toMatchObject({ status: 'invalid', code: 431 });
  });
});
