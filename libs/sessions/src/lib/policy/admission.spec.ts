import { anAccount } from '../../testing';
import { admissionRefusal } from './admission';

describe('admissionRefusal (the one admission policy)', () => {
  const open = anAccount({ protocols: ['http', 'openvpn'] });

  it('admits an account that breaks no rule', () => {
    expect(admissionRefusal(open, { protocol: 'http', clientIp: '203.0.113.9' })).toBeUndefined();
  });

  it('checks the rules in one order: enabled, protocol, whitelist, quota, connections', () => {
    const everything = anAccount({
      enabled: false,
      protocols: ['socks5'],
      cidrWhitelist: ['10.0.0.0/8'],
      quotaBytes: 10,
      usedBytes: 10,
      maxConnections: 1,
    });
    const codes = [];
    let account = everything;
    for (const fix of [
      { enabled: true },
      { protocols: ['socks5', 'http'] as const },
      { cidrWhitelist: [] },
      { quotaBytes: null },
      { maxConnections: 5 },
    ]) {
      codes.push(
        admissionRefusal(account, { protocol: 'http', clientIp: '203.0.113.9', connections: 1 })
          ?.code,
      );
      account = { ...account, ...fix, protocols: [...(fix.protocols ?? account.protocols)] };
    }
    codes.push(
      admissionRefusal(account, { protocol: 'http', clientIp: '203.0.113.9', connections: 1 }),
    );
    expect(codes).toEqual([
      'ACCOUNT_DISABLED',
      'PROTOCOL_NOT_ALLOWED',
      'SOURCE_NOT_ALLOWED',
      'OVER_QUOTA',
      'TOO_MANY_CONNECTIONS',
      undefined,
    ]);
  });

  it('names the protocol for the customer, and uses the caller’s whitelist matcher when given', () => {
    expect(admissionRefusal(open, { protocol: 'socks5' })?.message).toBe(
      'the SOCKS5 proxy is not enabled for this account',
    );
    const listed = anAccount({ protocols: ['http'], cidrWhitelist: ['10.0.0.0/8'] });
    expect(admissionRefusal(listed, { protocol: 'http', clientIp: '10.1.2.3' })).toBeUndefined();
    expect(
      admissionRefusal(listed, {
        protocol: 'http',
        clientIp: '10.1.2.3',
        allowsSource: () => false,
      })?.code,
    ).toBe('SOURCE_NOT_ALLOWED');
    // No address on the path (transparent): the whitelist does not apply.
    expect(admissionRefusal(listed, { protocol: 'http' })).toBeUndefined();
  });

  it('counts unreported bytes toward the quota', () => {
    const metered = anAccount({ protocols: ['http'], quotaBytes: 100, usedBytes: 60 });
    expect(admissionRefusal(metered, { protocol: 'http', unreportedBytes: 39 })).toBeUndefined();
    expect(admissionRefusal(metered, { protocol: 'http', unreportedBytes: 40 })?.code).toBe(
      'OVER_QUOTA',
    );
  });
});
