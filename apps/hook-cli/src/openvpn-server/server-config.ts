import { realpathSync, readFileSync } from 'node:fs';
import {
  enumField,
  intField,
  parseEnv,
  renderTemplate,
  urlField,
  type Env,
  type EnvDescriptions,
} from '@tunnelgate/config';
import * as ipaddr from 'ipaddr.js';
import * as z from 'zod/mini';

const requiredPath = () => z.string().check(z.minLength(1));
const name = (fallback: string) =>
  z._default(
    z.string().check(z.regex(/^[A-Za-z0-9_.+-]{1,32}$/, 'expected a plain name')),
    fallback,
  );

/**
 * What `hook-cli server-config` fills into deployments/openvpn/server.conf.template. The hook
 * command is the running hook itself, so the server can only ever call the hook that rendered it.
 */
export const serverConfigSchema = z.object({
  TUNNELGATE_OPENVPN_TEMPLATE: z._default(
    requiredPath(),
    'deployments/openvpn/server.conf.template',
  ),
  TUNNELGATE_OPENVPN_PORT: intField(1194, 1, 65535),
  TUNNELGATE_OPENVPN_PROTO: enumField(['udp', 'tcp'] as const, 'udp'),
  TUNNELGATE_OPENVPN_DEV: z._default(
    z.string().check(z.regex(/^tun[0-9]{1,3}$/, 'expected tun<N>')),
    'tun0',
  ),
  TUNNELGATE_OPENVPN_SUBNET: z._default(z.cidrv4(), '10.9.0.0/24'),
  TUNNELGATE_OPENVPN_CA_FILE: requiredPath(),
  TUNNELGATE_OPENVPN_CERT_FILE: requiredPath(),
  TUNNELGATE_OPENVPN_KEY_FILE: requiredPath(),
  TUNNELGATE_API_URL: urlField('http://127.0.0.1:8081', ['http', 'https']),
  TUNNELGATE_API_TOKEN_FILE: requiredPath(),
  TUNNELGATE_OPENVPN_TMP_DIR: z._default(requiredPath(), '/dev/shm'),
  TUNNELGATE_OPENVPN_USER: name('nobody'),
  TUNNELGATE_OPENVPN_GROUP: name('nogroup'),
  TUNNELGATE_OPENVPN_RUN_DIR: z._default(requiredPath(), '/run/openvpn'),
  // Management is the default (issue 18): no process per client, sessions reconciled with
  // OpenVPN's own list; `script` is kept for small setups without a manager process.
  TUNNELGATE_OPENVPN_CONTROL: enumField(['script', 'management'] as const, 'management'),
});

/** What each server-config variable sets (`hook-cli env`, docs/configuration.md). */
export const SERVER_CONFIG_DESCRIPTIONS: EnvDescriptions<typeof serverConfigSchema> = {
  TUNNELGATE_OPENVPN_TEMPLATE: 'The server config template `hook-cli server-config` renders.',
  TUNNELGATE_OPENVPN_PORT: 'The port OpenVPN listens on.',
  TUNNELGATE_OPENVPN_PROTO: '`udp`, or `tcp` (e.g. 443, for carriers that block UDP).',
  TUNNELGATE_OPENVPN_DEV: 'Its tun device (one per instance on a node).',
  TUNNELGATE_OPENVPN_SUBNET: "The instance's customer subnet (inside TUNNELGATE_CUSTOMER_SUBNET).",
  TUNNELGATE_OPENVPN_CA_FILE: 'The CA certificate (tools/relay/openvpn-pki.sh makes one).',
  TUNNELGATE_OPENVPN_CERT_FILE: "The server's certificate.",
  TUNNELGATE_OPENVPN_KEY_FILE: "The server's key.",
  TUNNELGATE_API_URL: "tunnel-api's base URL, for the hooks (script mode).",
  TUNNELGATE_API_TOKEN_FILE: "The hooks' token file, for the hooks (script mode).",
  TUNNELGATE_OPENVPN_TMP_DIR: "OpenVPN's tmp-dir (via-file credentials, deferred-status files): tmpfs.",
  TUNNELGATE_OPENVPN_USER: 'The user OpenVPN drops to after start.',
  TUNNELGATE_OPENVPN_GROUP: 'The group OpenVPN drops to after start.',
  TUNNELGATE_OPENVPN_RUN_DIR: 'Where the management socket and the status file go.',
  TUNNELGATE_OPENVPN_CONTROL:
    'Who admits clients: `management` (`hook-cli manage`, no process per client) or `script` (hook-cli as the three scripts).',
};

/** The lines that decide who admits clients: the scripts, or the manager on the socket. */
function clientControl(
  mode: 'script' | 'management',
  hook: string,
  apiUrl: string,
  tokenFile: string,
  tmpDir: string,
): string {
  if (mode === 'management')
    return [
      '# Every client waits for `hook-cli manage` (one process for all of them); while no',
      '# manager is attached, nobody is admitted.',
      'management-client-auth',
    ].join('\n');
  return [
    'script-security 2',
    `setenv TUNNELGATE_API_URL ${apiUrl}`,
    `setenv TUNNELGATE_API_TOKEN_FILE ${tokenFile}`,
    '# Hooks remember there that tunnel-api did not answer, so the disconnects that follow (which',
    '# OpenVPN runs synchronously, freezing every tunnel) wait 1 s instead of 5 during an outage.',
    `setenv TUNNELGATE_HOOK_STATE_DIR ${tmpDir}`,
    `auth-user-pass-verify "${hook} auth-user-pass-verify" via-file`,
    `client-connect "${hook} client-connect"`,
    `client-disconnect "${hook} client-disconnect"`,
  ].join('\n');
}

/** The server config text, or a ConfigError naming every bad variable. */
export function renderServerConfig(env: Env, hookPath: string): string {
  const config = parseEnv('hook-cli server-config', serverConfigSchema, env);
  const [network, prefix] = ipaddr.IPv4.parseCIDR(config.TUNNELGATE_OPENVPN_SUBNET);
  const runDir = config.TUNNELGATE_OPENVPN_RUN_DIR;
  const dev = config.TUNNELGATE_OPENVPN_DEV;
  // The node binary by absolute path: OpenVPN gives its scripts no PATH, so the file's
  // `#!/usr/bin/env node` finds node only where it lives in /usr/bin (not in node images).
  const hook = `${process.execPath} ${realpathSync(hookPath)}`;
  return renderTemplate(
    readFileSync(config.TUNNELGATE_OPENVPN_TEMPLATE, 'utf8'),
    {
      port: config.TUNNELGATE_OPENVPN_PORT,
      proto: config.TUNNELGATE_OPENVPN_PROTO,
      dev,
      network: network.toString(),
      netmask: ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString(),
      ca: config.TUNNELGATE_OPENVPN_CA_FILE,
      cert: config.TUNNELGATE_OPENVPN_CERT_FILE,
      key: config.TUNNELGATE_OPENVPN_KEY_FILE,
      clientControl: clientControl(
        config.TUNNELGATE_OPENVPN_CONTROL,
        hook,
        config.TUNNELGATE_API_URL,
        config.TUNNELGATE_API_TOKEN_FILE,
        config.TUNNELGATE_OPENVPN_TMP_DIR,
      ),
      tmpDir: config.TUNNELGATE_OPENVPN_TMP_DIR,
      user: config.TUNNELGATE_OPENVPN_USER,
      group: config.TUNNELGATE_OPENVPN_GROUP,
      // One server per listener on a node: the device name keeps their files apart.
      managementSocket: `${runDir}/${dev}.management.sock`,
      statusFile: `${runDir}/${dev}.status`,
    },
    ['clientControl'],
  );
}
