import { dirname, join } from 'node:path';
import { typedConfig } from '@tunnelgate/app-runtime';
import {
  enumField,
  hostPortField,
  intField,
  logLevelField,
  parseEnv,
  portListField,
  type Env,
  describeEnv,
  type EnvDescriptions,
} from '@tunnelgate/config';
import type { FirewallSettings } from '@tunnelgate/firewall';
import * as z from 'zod/mini';

export const FIREWALL_MODES = ['auto', 'iptables', 'off'] as const;

const schema = z.pipe(
  z.object({
    TUNNELGATE_API_LISTEN: hostPortField('127.0.0.1:8081'),
    // How long a client may take to send a whole request (head and body).
    TUNNELGATE_API_REQUEST_TIMEOUT_MS: intField(10_000, 500, 600_000),
    TUNNELGATE_STORE: z._default(
      z
        .string()
        .check(
          z.regex(/^(sqlite:.+|rediss?:\/\/.+)$/, 'expected sqlite:<path> or redis://host:port/db'),
        ),
      'sqlite:./data/tunnelgate.db',
    ),
    // The operators' token (everything), the gateways' and the OpenVPN hooks' (see
    // docs/security.md); the last two default to files beside the first.
    TUNNELGATE_API_TOKEN_FILE: z._default(z.string().check(z.minLength(1)), './data/api-token'),
    TUNNELGATE_GATEWAY_TOKEN_FILE: z.optional(z.string().check(z.minLength(1))),
    TUNNELGATE_HOOK_TOKEN_FILE: z.optional(z.string().check(z.minLength(1))),
    TUNNELGATE_DEVICE_OFFLINE_AFTER_MS: intField(60_000, 1000, 3_600_000),
    // How long closed sessions are kept before they are pruned (30 days).
    TUNNELGATE_SESSION_RETENTION_MS: intField(30 * 24 * 3_600_000, 1000, 3650 * 24 * 3_600_000),
    // What one /v1/watch client may have queued, beyond its snapshot, before it is dropped.
    TUNNELGATE_WATCH_BUFFER_BYTES: intField(8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    TUNNELGATE_FIREWALL: enumField(FIREWALL_MODES, 'auto'),
    TUNNELGATE_FIREWALL_RESYNC_MS: intField(10_000, 1000, 3_600_000),
    // How often the canary looks for tunnelgate's jumps and barrier (a flush is repaired
    // within about this long).
    TUNNELGATE_FIREWALL_CHECK_MS: intField(500, 100, 60_000),
    // Least time between two rewrites of the rules (a burst of device changes costs one each
    // period); connects and disconnects edit the client set and never wait for it.
    TUNNELGATE_FIREWALL_MIN_SYNC_MS: intField(200, 0, 10_000),
    // How long a gateway's byte lease lasts unless renewed: a dead gateway's unspent bytes go
    // back to the quota after this long.
    TUNNELGATE_BYTE_LEASE_TTL_MS: intField(30_000, 1000, 3_600_000),
    // How long a gateway's connection slots last unless held again: a dead gateway's free
    // themselves after this long (at least 15 s: gateways hold theirs again every 5 s).
    TUNNELGATE_CONNECTION_SLOT_TTL_MS: intField(30_000, 15_000, 3_600_000),
    TUNNELGATE_CUSTOMER_SUBNET: z._default(z.cidrv4(), '10.9.0.0/24'),
    TUNNELGATE_CUSTOMER_INTERFACE: z._default(
      z
        .string()
        .check(
          z.regex(/^[A-Za-z0-9_.-]{1,14}\+?$/, 'expected an interface name such as tun0 or tun+'),
        ),
      'tun0',
    ),
    TUNNELGATE_DEVICE_SUBNET: z._default(z.cidrv4(), '192.168.255.0/24'),
    TUNNELGATE_TRANSPARENT_PORT: intField(12345, 1, 65535),
    // The relay's own public ports, which no device's basePort range may take (the OpenVPN,
    // API and transparent ports are added to them).
    TUNNELGATE_RESERVED_PORTS: portListField('1080,1194,3128,8080-8081,9090-9091'),
    TUNNELGATE_CUSTOMER_DNS: z._default(
      z
        .string()
        .check(z.regex(/^(reject|redirect:\d{1,5})$/, 'expected reject or redirect:<port>')),
      'reject',
    ),
    TUNNELGATE_OPENVPN_REMOTE: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^[A-Za-z0-9.:-]{1,253}$/,
            'expected the host name or address customers connect to',
          ),
        ),
    ),
    TUNNELGATE_OPENVPN_PORT: intField(1194, 1, 65535),
    TUNNELGATE_OPENVPN_PROTO: enumField(['udp', 'tcp'] as const, 'udp'),
    TUNNELGATE_OPENVPN_CA_FILE: z.optional(z.string().check(z.minLength(1))),
    TUNNELGATE_OPENVPN_CERT_FILE: z.optional(z.string().check(z.minLength(1))),
    TUNNELGATE_OPENVPN_PROFILE_TEMPLATE: z._default(
      z.string().check(z.minLength(1)),
      'deployments/openvpn/client.ovpn.template',
    ),
    // Failed logins per source address and per username in a minute, on every node together.
    TUNNELGATE_LOGIN_FAILURES_PER_IP: intField(20, 1, 100_000),
    TUNNELGATE_LOGIN_FAILURES_PER_USER: intField(10, 1, 100_000),
    // Password hashes computed at once (each holds ~19 MiB and a thread), and how many may wait.
    TUNNELGATE_AUTH_CONCURRENCY: intField(4, 1, 64),
    TUNNELGATE_AUTH_QUEUE: intField(32, 0, 10_000),
    TUNNELGATE_LOG_LEVEL: logLevelField(),
  }),
  z.transform((env) => ({
    listen: env.TUNNELGATE_API_LISTEN,
    requestTimeoutMs: env.TUNNELGATE_API_REQUEST_TIMEOUT_MS,
    storeUrl: env.TUNNELGATE_STORE,
    tokenFiles: {
      operator: env.TUNNELGATE_API_TOKEN_FILE,
      gateway:
        env.TUNNELGATE_GATEWAY_TOKEN_FILE ??
        join(dirname(env.TUNNELGATE_API_TOKEN_FILE), 'gateway-token'),
      hook:
        env.TUNNELGATE_HOOK_TOKEN_FILE ??
        join(dirname(env.TUNNELGATE_API_TOKEN_FILE), 'hook-token'),
    },
    deviceOfflineAfterMs: env.TUNNELGATE_DEVICE_OFFLINE_AFTER_MS,
    sessionRetentionMs: env.TUNNELGATE_SESSION_RETENTION_MS,
    watchBufferBytes: env.TUNNELGATE_WATCH_BUFFER_BYTES,
    firewall: env.TUNNELGATE_FIREWALL,
    firewallResyncMs: env.TUNNELGATE_FIREWALL_RESYNC_MS,
    firewallCheckMs: env.TUNNELGATE_FIREWALL_CHECK_MS,
    firewallMinSyncMs: env.TUNNELGATE_FIREWALL_MIN_SYNC_MS,
    byteLeaseTtlMs: env.TUNNELGATE_BYTE_LEASE_TTL_MS,
    connectionSlotTtlMs: env.TUNNELGATE_CONNECTION_SLOT_TTL_MS,
    firewallSettings: {
      customerSubnet: env.TUNNELGATE_CUSTOMER_SUBNET,
      customerInterface: env.TUNNELGATE_CUSTOMER_INTERFACE,
      deviceSubnet: env.TUNNELGATE_DEVICE_SUBNET,
      transparentPort: env.TUNNELGATE_TRANSPARENT_PORT,
      customerDns:
        env.TUNNELGATE_CUSTOMER_DNS === 'reject'
          ? { kind: 'reject' }
          : {
              kind: 'redirect',
              port: Number(env.TUNNELGATE_CUSTOMER_DNS.slice('redirect:'.length)),
            },
    } satisfies FirewallSettings as FirewallSettings,
    reservedPorts: [
      ...env.TUNNELGATE_RESERVED_PORTS,
      ...[
        env.TUNNELGATE_OPENVPN_PORT,
        env.TUNNELGATE_API_LISTEN.port,
        env.TUNNELGATE_TRANSPARENT_PORT,
      ].map((port) => ({ from: port, to: port })),
    ],
    openvpn: {
      remote: env.TUNNELGATE_OPENVPN_REMOTE,
      port: env.TUNNELGATE_OPENVPN_PORT,
      proto: env.TUNNELGATE_OPENVPN_PROTO,
      caFile: env.TUNNELGATE_OPENVPN_CA_FILE,
      certFile: env.TUNNELGATE_OPENVPN_CERT_FILE,
      profileTemplate: env.TUNNELGATE_OPENVPN_PROFILE_TEMPLATE,
    },
    auth: {
      failuresPerIp: env.TUNNELGATE_LOGIN_FAILURES_PER_IP,
      failuresPerUser: env.TUNNELGATE_LOGIN_FAILURES_PER_USER,
      concurrency: env.TUNNELGATE_AUTH_CONCURRENCY,
      queue: env.TUNNELGATE_AUTH_QUEUE,
    },
    logLevel: env.TUNNELGATE_LOG_LEVEL,
  })),
);

const DESCRIPTIONS: EnvDescriptions<typeof schema> = {
  TUNNELGATE_API_LISTEN: 'Where the internal API listens (host:port).',
  TUNNELGATE_API_REQUEST_TIMEOUT_MS: 'Time a client has to send a whole request, head and body.',
  TUNNELGATE_STORE: '`sqlite:<path>` or `redis://host:port/db` (`rediss://` for TLS).',
  TUNNELGATE_API_TOKEN_FILE:
    "The operators' token (every route); generated, mode 600, when missing. Two lines during a rotation: new, then old.",
  TUNNELGATE_GATEWAY_TOKEN_FILE:
    "The gateways' token (watch, password checks, usage); default: `gateway-token` beside the operators' token.",
  TUNNELGATE_HOOK_TOKEN_FILE:
    "The OpenVPN hooks' token (the OpenVPN routes); default: `hook-token` beside the operators' token.",
  TUNNELGATE_DEVICE_OFFLINE_AFTER_MS:
    'A device silent (no heartbeat) this long goes offline: its DNAT rules go, its customers are refused.',
  TUNNELGATE_SESSION_RETENTION_MS:
    'Closed sessions older than this are pruned (at start, then every half of it, at most hourly).',
  TUNNELGATE_WATCH_BUFFER_BYTES:
    'What one watch client (a gateway) may have queued beyond its snapshot before it is dropped.',
  TUNNELGATE_FIREWALL:
    '`auto` (iptables when root and usable, else off with a loud warning), `iptables`, or `off`.',
  TUNNELGATE_FIREWALL_RESYNC_MS: 'Period of the full read-compare-repair of the rules.',
  TUNNELGATE_FIREWALL_CHECK_MS:
    "How often the canary looks for tunnelgate's jumps and barrier: a flush is repaired within about this long.",
  TUNNELGATE_FIREWALL_MIN_SYNC_MS:
    'Least time between two rewrites of the rules (device changes); connects and disconnects never wait for it.',
  TUNNELGATE_BYTE_LEASE_TTL_MS:
    "How long a gateway's byte lease lasts unless renewed: a dead gateway's unspent bytes return after it.",
  TUNNELGATE_CONNECTION_SLOT_TTL_MS:
    "How long a gateway's connection slots last unless held again: a dead gateway's free themselves after it.",
  TUNNELGATE_CUSTOMER_SUBNET:
    "OpenVPN customers' address pool (the REDIRECT and barrier rules cover it).",
  TUNNELGATE_CUSTOMER_INTERFACE: "The customers' tun device (`tun+` for any).",
  TUNNELGATE_DEVICE_SUBNET: "The phones' VPN subnet.",
  TUNNELGATE_TRANSPARENT_PORT:
    "The gateway's transparent listener, where customers' TCP is REDIRECTed.",
  TUNNELGATE_RESERVED_PORTS:
    "The relay's own ports, which no device's basePort range may meet (the OpenVPN, API and transparent ports are added).",
  TUNNELGATE_CUSTOMER_DNS:
    "`reject` customers' DNS to anything but the tunnel, or `redirect:<port>` it to the relay's resolver.",
  TUNNELGATE_OPENVPN_REMOTE:
    'The host customers connect to, written into profiles (unset: no profiles).',
  TUNNELGATE_OPENVPN_PORT: "The OpenVPN server's port, for profiles.",
  TUNNELGATE_OPENVPN_PROTO: "The OpenVPN server's protocol (`udp` or `tcp`), for profiles.",
  TUNNELGATE_OPENVPN_CA_FILE:
    "The OpenVPN server's CA certificate, inlined in profiles; its expiry is exported as a metric.",
  TUNNELGATE_OPENVPN_CERT_FILE:
    "The OpenVPN server's certificate (never its key): only read to export its expiry as a metric.",
  TUNNELGATE_OPENVPN_PROFILE_TEMPLATE: 'The client profile template.',
  TUNNELGATE_LOGIN_FAILURES_PER_IP:
    'Failed logins a minute from one source address, across relays sharing the store.',
  TUNNELGATE_LOGIN_FAILURES_PER_USER: 'Failed logins a minute for one username, across relays.',
  TUNNELGATE_AUTH_CONCURRENCY:
    'Password hashes computed at once (each holds ~19 MiB and a thread).',
  TUNNELGATE_AUTH_QUEUE: 'Logins that may wait for a hash; beyond, 503 `AUTH_BUSY`.',
  TUNNELGATE_LOG_LEVEL: '`error`, `warn`, `info` or `debug`.',
};

/** The variables tunnel-api reads (`main.js env`). */
export function tunnelApiEnvVariables() {
  return describeEnv(schema, DESCRIPTIONS);
}

export type TunnelApiConfig = z.output<typeof schema>;

/** Parses tunnel-api's environment; throws a ConfigError naming every bad variable. */
export function parseTunnelApiConfig(env: Env): TunnelApiConfig {
  return parseEnv('tunnel-api', schema, env);
}

const nestConfig = typedConfig<TunnelApiConfig>('tunnelApi');

/** The config module for the root module's imports. */
export const tunnelApiConfigModule = nestConfig.module;
export const TUNNEL_API_CONFIG = nestConfig.token;
export const InjectTunnelApiConfig = nestConfig.inject;
