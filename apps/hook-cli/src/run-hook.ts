import { ConfigError, readSecretFile, type Env } from '@tunnelgate/config';
import {
  authUserPassVerify,
  deferredAuthFile,
  readCredentials,
} from './commands/auth-user-pass-verify';
import { clientConnect, deferConnect, deferredConnectFile } from './commands/client-connect';
import { clientDisconnect } from './commands/client-disconnect';
import type { HookContext, HookExit } from './commands/hook-context';
import { parseHookConfig, splitArgs } from './config/hook.config';
import {
  DEFERRED_WORKER_FLAG,
  readWorkerInput,
  startDeferredWorker,
} from './deferred/start-deferred-worker';
import { PROCESS_REQUEST_ID } from './api/request-id';
import { OutageMarker } from './api/outage-marker';
import { writeHookLog } from './hook-log';

const COMMANDS = ['auth-user-pass-verify', 'client-connect', 'client-disconnect'] as const;
type Command = (typeof COMMANDS)[number];

/** OpenVPN's `script_type` names the hook when the config does not pass the command. */
const SCRIPT_TYPES: Record<string, Command> = {
  'user-pass-verify': 'auth-user-pass-verify',
  'client-connect': 'client-connect',
  'client-disconnect': 'client-disconnect',
};

function isCommand(value: string | undefined): value is Command {
  return (COMMANDS as readonly string[]).includes(value ?? '');
}

/**
 * The whole hook: argv and env in, exit code out. Every path that cannot complete the setup
 * returns 1, so OpenVPN rejects the client; there is no path that admits on an error.
 */
export async function runHook(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<HookExit> {
  const startedAt = Date.now();
  const isDeferredWorker = argv[0] === DEFERRED_WORKER_FLAG;
  const args = splitArgs(isDeferredWorker ? argv.slice(1) : argv);
  const named = isCommand(args.positional[0]) ? args.positional.shift() : undefined;
  const command = (named as Command | undefined) ?? SCRIPT_TYPES[env['script_type'] ?? ''];
  const fail = (reason: string): HookExit => {
    writeHookLog({
      hook: command ?? 'unknown',
      outcome: 'rejected',
      client: env['common_name'] ?? env['username'],
      elapsedMs: Date.now() - startedAt,
      reason,
    });
    return 1;
  };

  if (!command)
    return fail(
      `no hook named: pass one of ${COMMANDS.join(', ')}, or run under OpenVPN (script_type)`,
    );
  if (args.problems.length > 0) return fail(`bad arguments: ${args.problems.join('; ')}`);
  let ctx: HookContext;
  try {
    const config = parseHookConfig(env as Env, args.overrides);
    const token = config.tokenFile
      ? readSecretFile('hook-cli', 'TUNNELGATE_API_TOKEN_FILE', config.tokenFile)
      : undefined;
    ctx = {
      config,
      api: {
        baseUrl: config.apiUrl,
        token,
        timeoutMs: config.timeoutMs,
        requestId: PROCESS_REQUEST_ID,
      },
      outage: new OutageMarker(config.stateDir),
      env: env as Env,
      fileArgument: args.positional[0],
      startedAt,
      isDeferredWorker,
    };
  } catch (error) {
    if (error instanceof ConfigError)
      return fail(`misconfigured hook: ${error.problems.join('; ')}`);
    throw error;
  }

  switch (command) {
    case 'client-connect': {
      const deferredFile = deferredConnectFile(ctx);
      if (ctx.config.deferred === 'on' && !deferredFile && !isDeferredWorker) {
        return fail('TUNNELGATE_HOOK_DEFERRED=on but OpenVPN gave no client_connect_deferred_file');
      }
      if (!deferredFile) return clientConnect(ctx);
      deferConnect(deferredFile);
      await startDeferredWorker(argv, env);
      writeHookLog({
        hook: command,
        outcome: 'deferred',
        client: env['common_name'],
        vpnIp: env['ifconfig_pool_remote_ip'],
        elapsedMs: Date.now() - startedAt,
      });
      return 0;
    }
    case 'client-disconnect':
      return clientDisconnect(ctx);
    case 'auth-user-pass-verify': {
      if (isDeferredWorker) {
        const piped = await readWorkerInput(process.stdin);
        return authUserPassVerify(
          ctx,
          piped ? (JSON.parse(piped) as { username: string; password: string }) : undefined,
        );
      }
      const credentials = readCredentials(ctx);
      if (!deferredAuthFile(ctx) || !credentials) return authUserPassVerify(ctx, credentials);
      // The worker must not re-read `$1`: OpenVPN deletes that file as soon as we exit.
      await startDeferredWorker(argv, env, JSON.stringify(credentials));
      writeHookLog({
        hook: command,
        outcome: 'deferred',
        client: credentials.username,
        elapsedMs: Date.now() - startedAt,
      });
      return 2;
    }
  }
}
