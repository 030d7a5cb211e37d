import {
  accountCreateRequestSchema,
  accountSchema,
  accountUpdateRequestSchema,
  clientSessionSchema,
  deviceSchema,
  deviceUpsertRequestSchema,
  devicePublicPorts,
  isOverQuota,
  openvpnConnectRequestSchema,
  pageQuerySchema,
  toPublicAccount,
} from '../../index';

const T = '2026-01-01T00:00:00.000Z';
const account = {
  id: 'acc-1',
  username: 'alice',
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaGhhc2hoYXNo',
  deviceId: 'dev-1',
  protocols: ['http', 'openvpn'],
  cidrWhitelist: ['198.51.100.0/24', '2001:db8::/32'],
  quotaBytes: 1000,
  usedBytes: 0,
  maxConnections: null,
  enabled: true,
  createdAt: T,
  updatedAt: T,
};

function problems(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[] }[] };
}): string[] {
  return result.success ? [] : (result.error?.issues ?? []).map((i) => i.path.join('.'));
}

describe('models', () => {
  it('accepts a valid account and names each bad field of an invalid one', () => {
    expect(accountSchema.safeParse(account).success).toBe(true);
    const bad = accountSchema.safeParse({
      ...account,
      username: 'has space',
      passwordHash: 'plaintext',
      protocols: [],
      cidrWhitelist: ['10.0.0.0/33'],
      extra: 1,
    });
    expect(problems(bad)).toEqual(
      expect.arrayContaining(['username', 'passwordHash', 'protocols', 'cidrWhitelist.0', '']),
    );
  });

  it('never lets the hash out of a public account', () => {
    expect(toPublicAccount(accountSchema.parse(account))).not.toHaveProperty('passwordHash');
  });

  it('knows when an account is over its quota, and that null means unlimited', () => {
    expect(isOverQuota({ quotaBytes: 1000, usedBytes: 999 })).toBe(false);
    expect(isOverQuota({ quotaBytes: 1000, usedBytes: 1000 })).toBe(true);
    expect(isOverQuota({ quotaBytes: null, usedBytes: 10 ** 15 })).toBe(false);
  });

  it("derives a device's three public ports from its basePort", () => {
    expect(devicePublicPorts({ basePort: 20000 })).toEqual({
      http: 20000,
      socks5: 20001,
      udp: 20002,
    });
    expect(devicePublicPorts({ basePort: null })).toBeNull();
    const device = {
      id: 'd',
      name: 'n',
      vpnIp: '192.168.255.2',
      httpPort: 8080,
      socksPort: 1080,
      udpPort: 1081,
      proxyCredentials: null,
      status: 'online',
      lastSeenAt: null,
      createdAt: T,
      updatedAt: T,
    };
    expect(deviceSchema.safeParse({ ...device, basePort: 65534 }).success).toBe(false);
    expect(deviceSchema.safeParse({ ...device, basePort: 65533 }).success).toBe(true);
  });

  it('fills request defaults: device ports, account protocols and limits', () => {
    expect(deviceUpsertRequestSchema.parse({ name: 'p', vpnIp: '192.168.255.9' })).toEqual({
      name: 'p',
      vpnIp: '192.168.255.9',
      httpPort: 8080,
      socksPort: 1080,
      udpPort: 1081,
      basePort: null,
      proxyCredentials: null,
    });
    expect(
      accountCreateRequestSchema.parse({
        username: 'bob',
        password: 'long-enough',
        deviceId: 'd1',
      }),
    ).toMatchObject({
      protocols: ['http', 'socks5', 'openvpn'],
      cidrWhitelist: [],
      quotaBytes: null,
      enabled: true,
    });
  });

  it('refuses an empty account update and unknown fields', () => {
    expect(accountUpdateRequestSchema.safeParse({}).success).toBe(false);
    expect(accountUpdateRequestSchema.safeParse({ passwordHash: '$x$' }).success).toBe(false);
    expect(accountUpdateRequestSchema.parse({ enabled: false })).toEqual({ enabled: false });
  });

  it('coerces and bounds paging from a query string', () => {
    expect(pageQuerySchema.parse({ limit: '25' })).toEqual({ limit: 25 });
    expect(pageQuerySchema.parse({})).toEqual({ limit: 100 });
    expect(pageQuerySchema.safeParse({ limit: '5000' }).success).toBe(false);
    expect(pageQuerySchema.safeParse({ limit: '2.5' }).success).toBe(false);
  });

  it('explains failures in English', () => {
    const result = openvpnConnectRequestSchema.safeParse({
      username: 'a',
      commonName: 'a',
      vpnIp: 'x',
      realIp: '1.2.3.4',
      realPort: 1,
      connectedAt: T,
    });
    expect(result.error?.issues[0]?.message).toBe('Invalid IPv4 address');
  });

  it('validates a client session, closed or active', () => {
    const session = {
      id: 's',
      accountId: 'a',
      username: 'alice',
      commonName: 'alice',
      vpnIp: '10.9.0.2',
      vpnIp6: null,
      realIp: '2001:db8::1',
      realPort: 1194,
      deviceId: 'd',
      upstream: { host: '192.168.255.2', port: 8080 },
      connectedAt: T,
      closedAt: null,
      closeReason: null,
      bytesIn: 0,
      bytesOut: 0,
      state: 'active',
    };
    expect(clientSessionSchema.safeParse(session).success).toBe(true);
    expect(
      problems(clientSessionSchema.safeParse({ ...session, state: 'zombie', bytesIn: -1 })),
    ).toEqual(['bytesIn', 'state']);
  });
});
