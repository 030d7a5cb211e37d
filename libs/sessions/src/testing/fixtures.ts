import type { Account } from '../lib/models/account';
import type { ClientSession } from '../lib/models/client-session';
import type { Device } from '../lib/models/device';

/** Valid records for tests and benchmarks: override what the case is about, keep the rest. */

const T0 = '2026-01-01T00:00:00.000Z';

/** A syntactically valid argon2id hash (of no password anyone knows). */
export const TEST_PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';

export function anAccount(overrides: Partial<Account> = {}): Account {
  const id = overrides.id ?? 'acc-1';
  return {
    id,
    username: `user-${id}`,
    passwordHash: TEST_PASSWORD_HASH,
    deviceId: 'dev-1',
    protocols: ['http', 'socks5', 'openvpn'],
    cidrWhitelist: [],
    quotaBytes: null,
    usedBytes: 0,
    maxConnections: null,
    enabled: true,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function aDevice(overrides: Partial<Device> = {}): Device {
  return {
    id: 'dev-1',
    name: 'Pixel 7 #1',
    vpnIp: '192.168.255.10',
    httpPort: 8080,
    socksPort: 1080,
    udpPort: 1081,
    basePort: 20000,
    proxyCredentials: null,
    status: 'online',
    lastSeenAt: T0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function aSession(overrides: Partial<ClientSession> = {}): ClientSession {
  return {
    id: 'ses-1',
    accountId: 'acc-1',
    username: 'user-acc-1',
    commonName: 'user-acc-1',
    vpnIp: '10.9.0.2',
    vpnIp6: null,
    realIp: '203.0.113.7',
    realPort: 50000,
    deviceId: 'dev-1',
    upstream: { host: '192.168.255.10', port: 8080 },
    connectedAt: T0,
    closedAt: null,
    closeReason: null,
    bytesIn: 0,
    bytesOut: 0,
    state: 'active',
    ...overrides,
  };
}
