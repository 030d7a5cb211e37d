import { describeEnv, intField, parseEnv, urlField, type Env } from '@tunnelgate/config';
import * as z from 'zod/mini';

const schema = z.pipe(
  z.object({
    TUNNELGATE_API_URL: urlField('http://127.0.0.1:8081', ['http', 'https']),
    // The operators' token, as tunnel-api writes it at its first start (the gateways' own token
    // beside it is refused by the operator routes).
    TUNNELGATE_API_TOKEN_FILE: z._default(z.string().check(z.minLength(1)), './data/api-token'),
    TUNNELGATE_CLI_TIMEOUT_MS: intField(10_000, 100, 600_000),
  }),
  z.transform((env) => ({
    apiUrl: env.TUNNELGATE_API_URL.replace(/\/+$/, ''),
    tokenFile: env.TUNNELGATE_API_TOKEN_FILE,
    timeoutMs: env.TUNNELGATE_CLI_TIMEOUT_MS,
  })),
);

export type CliConfig = z.output<typeof schema>;

/** The variables the CLI reads (`tunnelgate env`). */
export function cliEnvVariables() {
  return describeEnv(schema, {
    TUNNELGATE_API_URL: "tunnel-api's base URL (`--api-url`).",
    TUNNELGATE_API_TOKEN_FILE: "The operators' token (`--token-file`).",
    TUNNELGATE_CLI_TIMEOUT_MS: 'Deadline of one call to tunnel-api.',
  });
}

/** Flags win over the environment, as with the hooks. */
export function parseCliConfig(
  env: Env,
  flags: { apiUrl?: string; tokenFile?: string },
): CliConfig {
  return parseEnv('tunnelgate', schema, {
    ...env,
    ...(flags.apiUrl && { TUNNELGATE_API_URL: flags.apiUrl }),
    ...(flags.tokenFile && { TUNNELGATE_API_TOKEN_FILE: flags.tokenFile }),
  });
}
