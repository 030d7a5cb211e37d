import { isValidTargetHost } from '../src';
import { seededRandom } from '@tunnelgate/sessions/testing';

describe('isValidTargetHost', () => {
  it.each([
    'example.com',
    'a.b-c.example.',
    '_dmarc.example.com',
    'xn--bcher-kva.example',
    '93.184.216.34',
    '2606:2800:220:1::1',
    '::ffff:1.2.3.4',
  ])('takes %s', (host) => expect(isValidTargetHost(host)).toBe(true));

  it.each([
    '',
    'example.com\r\nX-Injected: 1',
    'example.com\nHost: evil',
    'exa mple.com',
    'example.com:80',
    '[::1]',
    'a"b.example',
    'user@example.com',
    'example.com/path',
    '-leading.example',
    `${'a'.repeat(64)}.example`,
    `${'a.'.repeat(127)}aa`,
    'bücher.example',
    'example.com\0',
  ])('refuses %j', (host) => expect(isValidTargetHost(host)).toBe(false));

  it('never takes a name with a byte outside letters, digits, "-", "_", ".", ":"', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(random() * 20);
      const host = String.fromCharCode(...Array.from({ length }, () => Math.floor(random() * 256)));
      if (isValidTargetHost(host)) expect(host).toMatch(/^[A-Za-z0-9_.:-]+$/);
    }
  });
});
