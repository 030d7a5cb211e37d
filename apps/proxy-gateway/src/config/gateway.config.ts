import { typedConfig } from '@tunnelgate/app-runtime';
import {
  cidrListField,
  describeEnv,
  enumField,
  hostPortField,
  intField,
  listenField,
  portListOrAllField,
  portRangeField,
  logLevelField,
  parseEnv,
  urlField,
  type Env,
  type EnvDescriptions,
} from '@tunnelgate/config';
import { availableParallelism, hostname } from 'node:os';
import { idSchema } from '@tunnelgate/sessions';
import * as z from 'zod/mini';

/**
 * `relay`: customers' accounts come from tunnel-api and every connection leaves through the
 * account's device. `device`: the gateway plays a phone (a simulated device, the demo): no
 * accounts, connections leave directly, guarded against reaching private networks.
 */
export const GATEWAY_MODES = ['relay', 'device'] as const;
export type GatewayMode = (typeof GATEWAY_MODES)[number];
export const DEVICE_PROXY_KINDS = ['http', 'socks5'] as const;

/** The host name (a pod's name under Kubernetes), in the characters an id may have. */
function defaultGatewayId(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) || 'gateway'
  );
}

const schema = z.pipe(
  z.object({
    TUNNELGATE_GATEWAY_MODE: enumField(GATEWAY_MODES, 'relay'),
    TUNNELGATE_API_URL: urlField('http://127.0.0.1:8081', ['http', 'https']),
    TUNNELGATE_API_TOKEN_FILE: z._default(z.string().check(z.minLength(1)), './data/api-token'),
    TUNNELGATE_GATEWAY_ADMIN_LISTEN: hostPortField('127.0.0.1:9091'),
    TUNNELGATE_GATEWAY_HTTP_LISTEN: listenField('0.0.0.0:3128'),
    TUNNELGATE_GATEWAY_SOCKS_LISTEN: listenField('0.0.0.0:1080'),
    TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN: listenField('[::]:12345'),
    TUNNELGATE_GATEWAY_DEVICE_PROXY: enumField(DEVICE_PROXY_KINDS, 'http'),
    TUNNELGATE_GATEWAY_DIRECT_ALLOW: cidrListField(),
    TUNNELGATE_GATEWAY_UDP_PORTS: portRangeField('ephemeral'),
    TUNNELGATE_GATEWAY_CONNECT_TIMEOUT_MS: intField(5000, 100, 60_000),
    TUNNELGATE_GATEWAY_HANDSHAKE_TIMEOUT_MS: intField(10_000, 100, 120_000),
    TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS: intField(300_000, 1000, 86_400_000),
    TUNNELGATE_GATEWAY_PEEK_TIMEOUT_MS: intField(200, 10, 5000),
    TUNNELGATE_GATEWAY_PEEK_SILENT_MS: intField(20, 0, 5000),
    TUNNELGATE_GATEWAY_PEEK_PORTS: portListOrAllField('80,443,8080,8443'),
    TUNNELGATE_GATEWAY_PIPELINE: enumField(['on', 'off'] as const, 'on'),
    TUNNELGATE_GATEWAY_CONNECT_ANSWER: enumField(['device', 'early'] as const, 'device'),
    TUNNELGATE_GATEWAY_POOL_MIN: intField(1, 0, 64),
    TUNNELGATE_GATEWAY_POOL_MAX: intField(8, 0, 64),
    TUNNELGATE_GATEWAY_POOL_IDLE_MS: intField(5000, 100, 600_000),
    TUNNELGATE_GATEWAY_DRAIN_TIMEOUT_MS: intField(25_000, 0, 600_000),
    // Processes that accept on the same ports (issue 23); 0: one per CPU this process may use
    // (os.availableParallelism(): the affinity mask and the cgroup CPU quota).
    TUNNELGATE_GATEWAY_WORKERS: intField(0, 0, 256),
    TUNNELGATE_GATEWAY_AUTH_CACHE_MS: intField(60_000, 0, 3_600_000),
    TUNNELGATE_GATEWAY_DEVICE_METRICS_MAX: intField(1000, 0, 100_000),
    // While tunnel-api cannot be reached, a password verified within this long still logs in
    // (fail-static); 0 refuses every login that needs tunnel-api.
    TUNNELGATE_GATEWAY_AUTH_STALE_MS: intField(15 * 60_000, 0, 24 * 3_600_000),
    TUNNELGATE_GATEWAY_ID: z.optional(idSchema),
    TUNNELGATE_GATEWAY_USAGE_FLUSH_MS: intField(5000, 100, 600_000),
    TUNNELGATE_GATEWAY_USAGE_FLUSH_BYTES: intField(4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    TUNNELGATE_GATEWAY_AUTH_FAILURES_PER_MINUTE: intField(30, 1, 100_000),
    // Byte leases of accounts with a quota: the first (and least) one asked for, and the
    // largest, which is what this gateway can hold back from the other relays while idle.
    TUNNELGATE_GATEWAY_LEASE_MIN_BYTES: intField(256 * 1024, 1024, 1024 * 1024 * 1024),
    TUNNELGATE_GATEWAY_LEASE_MAX_BYTES: intField(16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    // One JSON line per finished tunnel or forwarded request: a file (appended), /dev/stdout or
    // /dev/stderr for a container's log stream, or off.
    TUNNELGATE_GATEWAY_ACCESS_LOG: z._default(
      z.string().check(z.minLength(1)),
      './data/access.log',
    ),
    TUNNELGATE_LOG_LEVEL: logLevelField(),
  }),
  z.transform((env) => ({
    mode: env.TUNNELGATE_GATEWAY_MODE,
    apiUrl: env.TUNNELGATE_API_URL.replace(/\/+$/, ''),
    tokenFile: env.TUNNELGATE_API_TOKEN_FILE,
    adminListen: env.TUNNELGATE_GATEWAY_ADMIN_LISTEN,
    listen: {
      http: env.TUNNELGATE_GATEWAY_HTTP_LISTEN,
      socks5: env.TUNNELGATE_GATEWAY_SOCKS_LISTEN,
      // A phone has no REDIRECTed customers.
      transparent:
        env.TUNNELGATE_GATEWAY_MODE === 'relay'
          ? env.TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN
          : undefined,
    },
    deviceProxy: env.TUNNELGATE_GATEWAY_DEVICE_PROXY,
    directAllow: env.TUNNELGATE_GATEWAY_DIRECT_ALLOW,
    // Where SOCKS5 UDP associations take their ports: a fixed range lets a firewall or a
    // NetworkPolicy admit them.
    udpPorts: env.TUNNELGATE_GATEWAY_UDP_PORTS,
    timeouts: {
      connectMs: env.TUNNELGATE_GATEWAY_CONNECT_TIMEOUT_MS,
      handshakeMs: env.TUNNELGATE_GATEWAY_HANDSHAKE_TIMEOUT_MS,
      idleMs: env.TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS,
      peekMs: env.TUNNELGATE_GATEWAY_PEEK_TIMEOUT_MS,
      // A client silent this long is taken for one that waits for the server (issue 22).
      peekSilentMs: Math.min(
        env.TUNNELGATE_GATEWAY_PEEK_SILENT_MS,
        env.TUNNELGATE_GATEWAY_PEEK_TIMEOUT_MS,
      ),
      drainMs: env.TUNNELGATE_GATEWAY_DRAIN_TIMEOUT_MS,
    },
    peekPorts: env.TUNNELGATE_GATEWAY_PEEK_PORTS,
    // Toward devices: a gateway playing the phone answers once its own connect is done.
    pipeline: env.TUNNELGATE_GATEWAY_PIPELINE === 'on' && env.TUNNELGATE_GATEWAY_MODE === 'relay',
    // HTTP CONNECT's 200 before the device answered: only where requests are pipelined.
    connectAnswerEarly:
      env.TUNNELGATE_GATEWAY_CONNECT_ANSWER === 'early' &&
      env.TUNNELGATE_GATEWAY_PIPELINE === 'on' &&
      env.TUNNELGATE_GATEWAY_MODE === 'relay',
    pool: {
      min: Math.min(env.TUNNELGATE_GATEWAY_POOL_MIN, env.TUNNELGATE_GATEWAY_POOL_MAX),
      max: env.TUNNELGATE_GATEWAY_POOL_MAX,
      idleMs: env.TUNNELGATE_GATEWAY_POOL_IDLE_MS,
    },
    authCacheMs: env.TUNNELGATE_GATEWAY_AUTH_CACHE_MS,
    deviceMetricsMax: env.TUNNELGATE_GATEWAY_DEVICE_METRICS_MAX,
    authStaleMs: env.TUNNELGATE_GATEWAY_AUTH_STALE_MS,
    usage: {
      reporter: env.TUNNELGATE_GATEWAY_ID ?? defaultGatewayId(),
      flushMs: env.TUNNELGATE_GATEWAY_USAGE_FLUSH_MS,
      flushBytes: env.TUNNELGATE_GATEWAY_USAGE_FLUSH_BYTES,
    },
    authFailuresPerMinute: env.TUNNELGATE_GATEWAY_AUTH_FAILURES_PER_MINUTE,
    leases: {
      minLeaseBytes: env.TUNNELGATE_GATEWAY_LEASE_MIN_BYTES,
      maxLeaseBytes: Math.max(
        env.TUNNELGATE_GATEWAY_LEASE_MIN_BYTES,
        env.TUNNELGATE_GATEWAY_LEASE_MAX_BYTES,
      ),
    },
    workers: env.TUNNELGATE_GATEWAY_WORKERS || availableParallelism(),
    accessLog:
      env.TUNNELGATE_GATEWAY_ACCESS_LOG === 'off' ? undefined : env.TUNNELGATE_GATEWAY_ACCESS_LOG,
    logLevel: env.TUNNELGATE_LOG_LEVEL,
  })),
);

const DESCRIPTIONS: EnvDescriptions<typeof schema> = {
  TUNNELGATE_GATEWAY_PEEK_PORTS:
    'Destination ports where a transparent client is waited for (its SNI or Host, to connect by name); on any other, it is connected by address at once. `all`: every port but the known server-first ones.',
  TUNNELGATE_GATEWAY_MODE:
    '`relay` (accounts from tunnel-api, out through devices) or `device` (a simulated phone: no accounts, direct egress).',
  TUNNELGATE_API_URL: "tunnel-api's base URL.",
  TUNNELGATE_API_TOKEN_FILE: "The token it presents: the gateways' (relay mode).",
  TUNNELGATE_GATEWAY_ADMIN_LISTEN: '`/healthz`, `/readyz` and `/metrics` (host:port).',
  TUNNELGATE_GATEWAY_HTTP_LISTEN: 'The HTTP proxy (host:port, or `off`).',
  TUNNELGATE_GATEWAY_SOCKS_LISTEN: 'The SOCKS5 proxy (host:port, or `off`).',
  TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN:
    "Where OpenVPN customers' REDIRECTed TCP arrives (relay mode; host:port, or `off`).",
  TUNNELGATE_GATEWAY_DEVICE_PROXY: 'How to reach a phone: its HTTP proxy (CONNECT) or `socks5`.',
  TUNNELGATE_GATEWAY_DIRECT_ALLOW:
    'CIDRs device mode may reach although private, loopback or link-local (comma-separated).',
  TUNNELGATE_GATEWAY_UDP_PORTS:
    'Ports of SOCKS5 UDP associations: `ephemeral`, or `from-to` for a firewall or NetworkPolicy to admit.',
  TUNNELGATE_GATEWAY_CONNECT_TIMEOUT_MS: 'Upstream connect plus the proxy handshake.',
  TUNNELGATE_GATEWAY_HANDSHAKE_TIMEOUT_MS:
    "A client's whole negotiation (a deadline, not an idle timer).",
  TUNNELGATE_GATEWAY_IDLE_TIMEOUT_MS: 'A tunnel with no bytes either way this long is closed.',
  TUNNELGATE_GATEWAY_PEEK_TIMEOUT_MS:
    "The longest wait for a transparent client's TLS SNI or HTTP Host.",
  TUNNELGATE_GATEWAY_PEEK_SILENT_MS:
    'A transparent client silent this long waits for the server: connect by address at once.',
  TUNNELGATE_GATEWAY_PIPELINE:
    "`on`: the client's first bytes go with the request to the device, SOCKS5 customers get success before the device answers; `off`: wait for the device.",
  TUNNELGATE_GATEWAY_CONNECT_ANSWER:
    "HTTP CONNECT's `200`: `device` waits for the device (a refusal is an honest 502/504/403); `early` answers at once and sends the client's first bytes with the request (a refusal is then a reset), one round trip to the phone sooner.",
  TUNNELGATE_GATEWAY_POOL_MIN: 'Warm connections kept to each device in demand: the floor.',
  TUNNELGATE_GATEWAY_POOL_MAX: 'Warm connections per device: the ceiling (`0` turns the pool off).',
  TUNNELGATE_GATEWAY_POOL_IDLE_MS:
    "A warm connection unused this long closes: keep it under the phone proxy's wait for a request.",
  TUNNELGATE_GATEWAY_DRAIN_TIMEOUT_MS:
    'On SIGTERM, how long live tunnels may finish before they are closed.',
  TUNNELGATE_GATEWAY_WORKERS:
    'Processes accepting on the same ports; `0`: one per CPU the process may use.',
  TUNNELGATE_GATEWAY_AUTH_CACHE_MS:
    'How long a verified password is trusted without asking tunnel-api.',
  TUNNELGATE_GATEWAY_DEVICE_METRICS_MAX:
    'Devices that get metrics labels of their own (at most five series each); later ones are summed as `_other`.',
  TUNNELGATE_GATEWAY_AUTH_STALE_MS:
    'While tunnel-api is unreachable, passwords verified within this long still log in (`0`: refuse).',
  TUNNELGATE_GATEWAY_ID:
    'Its name on usage reports and in the store; unset: the host name (a pod: its name).',
  TUNNELGATE_GATEWAY_USAGE_FLUSH_MS: 'Period of usage reports.',
  TUNNELGATE_GATEWAY_USAGE_FLUSH_BYTES:
    'A report as soon as one account has this many bytes unreported (bounds what a crash loses).',
  TUNNELGATE_GATEWAY_AUTH_FAILURES_PER_MINUTE: 'Failed logins a minute from one source address.',
  TUNNELGATE_GATEWAY_LEASE_MIN_BYTES: 'The first and least byte lease of an account with a quota.',
  TUNNELGATE_GATEWAY_LEASE_MAX_BYTES:
    'The largest byte lease: what this gateway may hold back from other relays while idle.',
  TUNNELGATE_GATEWAY_ACCESS_LOG:
    'One JSON line per tunnel or forwarded request: a file (appended), `/dev/stdout`, `/dev/stderr`, or `off`.',
  TUNNELGATE_LOG_LEVEL: '`error`, `warn`, `info` or `debug`.',
};

/** The variables proxy-gateway reads (`main.js env`). */
export function gatewayEnvVariables() {
  return describeEnv(schema, DESCRIPTIONS);
}

export type GatewayConfig = z.output<typeof schema>;
export type ListenerName = keyof GatewayConfig['listen'];

/** Parses proxy-gateway's environment; throws a ConfigError naming every bad variable. */
export function parseGatewayConfig(env: Env): GatewayConfig {
  return parseEnv('proxy-gateway', schema, env);
}

const nestConfig = typedConfig<GatewayConfig>('gateway');

/** The config module for the root module's imports. */
export const gatewayConfigModule = nestConfig.module;
export const GATEWAY_CONFIG = nestConfig.token;
export const InjectGatewayConfig = nestConfig.inject;
