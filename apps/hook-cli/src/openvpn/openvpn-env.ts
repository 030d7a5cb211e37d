import * as z from 'zod/mini';
import {
  openvpnConnectRequestSchema,
  openvpnDisconnectRequestSchema,
  type OpenvpnConnectRequest,
  type OpenvpnDisconnectRequest,
} from '@tunnelgate/sessions';
import type { Env } from '@tunnelgate/config';

/**
 * OpenVPN's script environment, checked before anything is sent: a hook that cannot tell who
 * connected must reject, and must say which variable was wrong.
 */
export type EnvParse<T> = { ok: true; value: T } | { ok: false; problems: string[] };

const unixSeconds = z.coerce.number().check(z.int(), z.minimum(0), z.maximum(4_102_444_800));
const count = z.coerce.number().check(z.int(), z.minimum(0));

function fromUnix(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function check<T>(
  schema: z.ZodMiniType<T>,
  input: unknown,
  names: Record<string, string>,
): EnvParse<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      return `${names[field] ?? field}: ${issue.message}`;
    }),
  };
}

/** The env variable each request field comes from, for error messages. */
const CONNECT_SOURCES = {
  username: 'username',
  commonName: 'common_name',
  vpnIp: 'ifconfig_pool_remote_ip',
  vpnIp6: 'ifconfig_pool_remote_ip6',
  realIp: 'trusted_ip',
  realPort: 'trusted_port',
  connectedAt: 'time_unix',
};

function identity(env: Env) {
  const seconds = unixSeconds.safeParse(env['time_unix']);
  return {
    // With username-as-common-name both hold the username; without auth only common_name is set.
    username: env['username'] || env['common_name'],
    commonName: env['common_name'],
    vpnIp: env['ifconfig_pool_remote_ip'],
    connectedAt: seconds.success && env['time_unix'] ? fromUnix(seconds.data) : undefined,
  };
}

function withTimeProblem<T>(env: Env, parsed: EnvParse<T>): EnvParse<T> {
  if (parsed.ok) return parsed;
  // The request schema can only say "not a datetime"; say what OpenVPN should have given.
  const problems = parsed.problems.map((p) =>
    p.startsWith('time_unix:')
      ? `time_unix: expected unix seconds, got ${JSON.stringify(env['time_unix'] ?? null)}`
      : p,
  );
  return { ok: false, problems };
}

export function parseConnectEnv(env: Env): EnvParse<OpenvpnConnectRequest> {
  const port = Number(env['trusted_port']);
  const parsed = check(
    openvpnConnectRequestSchema,
    {
      ...identity(env),
      vpnIp6: env['ifconfig_pool_remote_ip6'] || undefined,
      realIp: env['trusted_ip'] || env['trusted_ip6'],
      realPort: env['trusted_port'] && Number.isInteger(port) ? port : env['trusted_port'],
    },
    CONNECT_SOURCES,
  );
  return withTimeProblem(env, parsed);
}

export function parseDisconnectEnv(env: Env): EnvParse<OpenvpnDisconnectRequest> {
  const numbers = z
    .object({ bytes_received: count, bytes_sent: count, time_duration: count })
    .safeParse({
      bytes_received: env['bytes_received'] ?? '',
      bytes_sent: env['bytes_sent'] ?? '',
      time_duration: env['time_duration'] ?? '',
    });
  const problems = numbers.success
    ? []
    : numbers.error.issues.map((i) => `${String(i.path[0])}: expected a non-negative integer`);
  const request = check(
    openvpnDisconnectRequestSchema,
    {
      ...identity(env),
      bytesReceived: numbers.success ? numbers.data.bytes_received : 0,
      bytesSent: numbers.success ? numbers.data.bytes_sent : 0,
      durationSeconds: numbers.success ? numbers.data.time_duration : 0,
    },
    CONNECT_SOURCES,
  );
  const checked = withTimeProblem(env, request);
  if (!checked.ok) return { ok: false, problems: [...checked.problems, ...problems] };
  return problems.length > 0 ? { ok: false, problems } : checked;
}
