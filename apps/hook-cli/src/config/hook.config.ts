import {
  enumField,
  intField,
  parseEnv,
  pathField,
  urlField,
  type Env,
  describeEnv,
} from '@tunnelgate/config';
import * as z from 'zod/mini';

export const DEFERRED_MODES = ['auto', 'on', 'off'] as const;

const schema = z.pipe(
  z.object({
    TUNNELGATE_API_URL: urlField('http://127.0.0.1:8081', ['http', 'https']),
    TUNNELGATE_API_TOKEN_FILE: pathField(),
    TUNNELGATE_HOOK_ATTEMPTS: intField(2, 1, 10),
    TUNNELGATE_HOOK_RETRY_DELAY_MS: intField(1000, 0, 60_000),
    TUNNELGATE_HOOK_TIMEOUT_MS: intField(5000, 100, 60_000),
    TUNNELGATE_HOOK_DEFERRED: enumField(DEFERRED_MODES, 'auto'),
    // Where hooks leave what they learnt for the next run (OpenVPN's tmp-dir in the server
    // config); unset: nothing is remembered.
    TUNNELGATE_HOOK_STATE_DIR: pathField(),
  }),
  z.transform((env) => ({
    apiUrl: env.TUNNELGATE_API_URL.replace(/\/+$/, ''),
    tokenFile: env.TUNNELGATE_API_TOKEN_FILE,
    attempts: env.TUNNELGATE_HOOK_ATTEMPTS,
    retryDelayMs: env.TUNNELGATE_HOOK_RETRY_DELAY_MS,
    timeoutMs: env.TUNNELGATE_HOOK_TIMEOUT_MS,
    deferred: env.TUNNELGATE_HOOK_DEFERRED,
    stateDir: env.TUNNELGATE_HOOK_STATE_DIR,
  })),
);

/** The variables the hooks read (`hook-cli env`). */
export function hookEnvVariables() {
  return describeEnv(schema, {
    TUNNELGATE_API_URL: "tunnel-api's base URL.",
    TUNNELGATE_API_TOKEN_FILE: "The token the hooks present: the hooks' (mode 600 or 640).",
    TUNNELGATE_HOOK_ATTEMPTS: 'Attempts of a connect or auth call before the client is refused.',
    TUNNELGATE_HOOK_RETRY_DELAY_MS: 'Pause between attempts.',
    TUNNELGATE_HOOK_TIMEOUT_MS: 'Deadline of one attempt, the whole exchange.',
    TUNNELGATE_HOOK_DEFERRED:
      '`auto` (defer auth and connect when OpenVPN offers it), `on`, or `off` (synchronous).',
    TUNNELGATE_HOOK_STATE_DIR:
      'Where hook runs leave what the next one should know (an outage seen); unset: nothing is kept.',
  });
}

export type HookConfig = z.output<typeof schema>;

/**
 * Command-line flags win over the environment (OpenVPN configs can pass them after the script
 * path): `--api-url=`, `--token-file=`, `--attempts=`, `--retry-delay-ms=`, `--timeout-ms=`,
 * `--deferred=auto|on|off`, and `--sync` for `--deferred=off`.
 */
const FLAG_TO_VARIABLE: Record<string, string> = {
  'api-url': 'TUNNELGATE_API_URL',
  'token-file': 'TUNNELGATE_API_TOKEN_FILE',
  attempts: 'TUNNELGATE_HOOK_ATTEMPTS',
  'retry-delay-ms': 'TUNNELGATE_HOOK_RETRY_DELAY_MS',
  'timeout-ms': 'TUNNELGATE_HOOK_TIMEOUT_MS',
  deferred: 'TUNNELGATE_HOOK_DEFERRED',
};

export interface ParsedArgs {
  /** Flag values, keyed by the environment variable they override. */
  overrides: Record<string, string>;
  /** Everything that is not a flag: the command and OpenVPN's file argument. */
  positional: string[];
  problems: string[];
}

export function splitArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { overrides: {}, positional: [], problems: [] };
  for (const arg of argv) {
    if (arg === '--sync') {
      parsed.overrides['TUNNELGATE_HOOK_DEFERRED'] = 'off';
      continue;
    }
    const flag = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!flag) {
      if (arg.startsWith('--')) parsed.problems.push(`unknown flag ${arg}`);
      else parsed.positional.push(arg);
      continue;
    }
    const variable = FLAG_TO_VARIABLE[flag[1] ?? ''];
    if (variable) parsed.overrides[variable] = flag[2] ?? '';
    else parsed.problems.push(`unknown flag --${flag[1]}`);
  }
  return parsed;
}

export function parseHookConfig(env: Env, overrides: Record<string, string> = {}): HookConfig {
  return parseEnv('hook-cli', schema, { ...env, ...overrides });
}
