import { describeEnv, intField, parseEnv, pathField, urlField, type Env } from '@tunnelgate/config';
import * as z from 'zod/mini';

const schema = z.pipe(
  z.object({
    TUNNELGATE_API_URL: urlField('http://127.0.0.1:8081', ['http', 'https']),
    TUNNELGATE_API_TOKEN_FILE: z.string().check(z.minLength(1)),
    // The OpenVPN instance this manager answers for: its management socket and its subnet.
    TUNNELGATE_OPENVPN_MANAGEMENT_SOCKET: z.string().check(z.minLength(1)),
    TUNNELGATE_OPENVPN_SUBNET: z._default(z.cidrv4(), '10.9.0.0/24'),
    TUNNELGATE_HOOK_ATTEMPTS: intField(2, 1, 10),
    TUNNELGATE_HOOK_RETRY_DELAY_MS: intField(1000, 0, 60_000),
    TUNNELGATE_HOOK_TIMEOUT_MS: intField(5000, 100, 60_000),
    // How long to wait before attaching again after OpenVPN closed the socket (or was not there).
    TUNNELGATE_MANAGE_RECONNECT_MS: intField(500, 50, 60_000),
    // How often OpenVPN's client list and tunnel-api's sessions are compared (and a kicked
    // client disconnected).
    TUNNELGATE_OPENVPN_RECONCILE_MS: intField(1000, 200, 600_000),
    TUNNELGATE_HOOK_STATE_DIR: pathField(),
  }),
  z.transform((env) => ({
    apiUrl: env.TUNNELGATE_API_URL.replace(/\/+$/, ''),
    tokenFile: env.TUNNELGATE_API_TOKEN_FILE,
    socket: env.TUNNELGATE_OPENVPN_MANAGEMENT_SOCKET,
    subnet: env.TUNNELGATE_OPENVPN_SUBNET,
    attempts: env.TUNNELGATE_HOOK_ATTEMPTS,
    retryDelayMs: env.TUNNELGATE_HOOK_RETRY_DELAY_MS,
    timeoutMs: env.TUNNELGATE_HOOK_TIMEOUT_MS,
    reconnectMs: env.TUNNELGATE_MANAGE_RECONNECT_MS,
    reconcileMs: env.TUNNELGATE_OPENVPN_RECONCILE_MS,
  })),
);

export type ManageConfig = z.output<typeof schema>;

export function manageEnvVariables() {
  return describeEnv(schema, {
    TUNNELGATE_API_URL: "tunnel-api's base URL.",
    TUNNELGATE_API_TOKEN_FILE: "The token the manager presents: the hooks'.",
    TUNNELGATE_OPENVPN_MANAGEMENT_SOCKET: "The OpenVPN instance's management socket (unix).",
    TUNNELGATE_OPENVPN_SUBNET: "That instance's customer subnet, where tunnel-api chooses addresses.",
    TUNNELGATE_HOOK_ATTEMPTS: 'Attempts of an admit call before the client is denied.',
    TUNNELGATE_HOOK_RETRY_DELAY_MS: 'Pause between attempts.',
    TUNNELGATE_HOOK_TIMEOUT_MS: 'Deadline of one attempt; past it, tunnel-api stores nothing.',
    TUNNELGATE_MANAGE_RECONNECT_MS: 'Wait before attaching again after OpenVPN closed the socket.',
    TUNNELGATE_OPENVPN_RECONCILE_MS:
      "How often OpenVPN's client list and tunnel-api's sessions are compared (a kicked client is disconnected).",
    TUNNELGATE_HOOK_STATE_DIR: 'Unused by the manager; accepted so one environment serves both.',
  });
}

export function parseManageConfig(env: Env): ManageConfig {
  return parseEnv('hook-cli manage', schema, env);
}
