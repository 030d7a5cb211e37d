import type { Readable, Writable } from 'node:stream';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { TunnelApiClient } from '@tunnelgate/api-client';
import { ConfigError, readSecretFile, type Env } from '@tunnelgate/config';
import { cliEnvVariables, parseCliConfig, type CliConfig } from './cli-config';
import type { Command } from './command';
import { accountCommands } from './commands/accounts';
import { deviceCommands } from './commands/devices';
import { relayCommands } from './commands/relay';
import { sessionCommands } from './commands/sessions';
import { explainError } from './explain-error';
import { UsageError } from './output/format';

export interface CliIo {
  env: Env;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

const COMMANDS: readonly Command[] = [
  ...accountCommands,
  ...deviceCommands,
  ...sessionCommands,
  ...relayCommands,
];

const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: 'boolean' },
  'api-url': { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP = [
  '--json              print the API objects as JSON instead of tables',
  '--api-url URL       tunnel-api (default: TUNNELGATE_API_URL, else http://127.0.0.1:8081)',
  "--token-file FILE   the operators' token (default: TUNNELGATE_API_TOKEN_FILE, else ./data/api-token)",
];

function synopsis(command: Command): string {
  const args = (command.args ?? []).map((a) => `<${a}>`).join(' ');
  return `tunnelgate ${command.name}${args ? ` ${args}` : ''}${command.options ? ' [options]' : ''}`;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => synopsis(c).length - 'tunnelgate '.length));
  return [
    "tunnelgate: the relay operator's command line (talks to tunnel-api)",
    '',
    ...COMMANDS.map(
      (c) => `  ${synopsis(c).slice('tunnelgate '.length).padEnd(width)}  ${c.summary}`,
    ),
    `  ${'env'.padEnd(width)}  The environment variables it reads`,
    '',
    'Options of every command:',
    ...GLOBAL_HELP.map((line) => `  ${line}`),
    '',
    "tunnelgate <command> --help shows a command's own options.",
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    synopsis(command),
    `  ${command.summary}`,
    ...(command.optionHelp?.length
      ? ['', 'Options:', ...command.optionHelp.map((l) => `  ${l}`)]
      : []),
    '',
    ...GLOBAL_HELP.map((line) => `  ${line}`),
  ].join('\n');
}

/** The command's words, wherever global options stand around them; the rest is its arguments. */
function findCommand(
  argv: readonly string[],
): { command: Command; rest: string[] } | { unknown: string } {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length && argv[i]?.startsWith('-'); i++) {
    leading.push(argv[i] ?? '');
    const option = GLOBAL_OPTIONS[argv[i]?.slice(2) ?? ''];
    if (option?.type === 'string' && i + 1 < argv.length) leading.push(argv[++i] ?? '');
  }
  for (const words of [2, 1]) {
    const name = argv.slice(i, i + words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: [...leading, ...argv.slice(i + words)] };
  }
  return { unknown: argv.slice(i, i + 2).join(' ') };
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

const print = (stream: Writable, text: string) =>
  stream.write(text.endsWith('\n') ? text : `${text}\n`);

/** Runs one command line; resolves to the exit code (0 done, 1 failed, 2 wrong usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    print(io.stdout, overview());
    return 0;
  }
  if (argv[0] === 'env') {
    print(io.stdout, JSON.stringify(cliEnvVariables(), null, 2));
    return 0;
  }
  const found = findCommand(argv);
  if ('unknown' in found) {
    print(io.stderr, `tunnelgate: no command "${found.unknown}": tunnelgate help lists them`);
    return 2;
  }
  const { command, rest } = found;
  let parsed: ReturnType<
    typeof parseArgs<{ options: ParseArgsOptionsConfig; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values['help'] === true) {
      print(io.stdout, commandHelp(command));
      return 0;
    }
    const wanted = command.args ?? [];
    if (parsed.positionals.length !== wanted.length)
      throw new UsageError(
        wanted.length === 0
          ? `takes no arguments, got "${parsed.positionals.join(' ')}"`
          : `needs ${wanted.map((a) => `<${a}>`).join(' ')}`,
      );
  } catch (error) {
    print(
      io.stderr,
      `tunnelgate ${command.name}: ${(error as Error).message}\nusage: ${synopsis(command)}  (--help for its options)`,
    );
    return 2;
  }
  const values = parsed.values;
  let config: CliConfig;
  let token: string;
  try {
    config = parseCliConfig(io.env, {
      apiUrl: values['api-url'] as string | undefined,
      tokenFile: values['token-file'] as string | undefined,
    });
    token = readSecretFile('tunnelgate', 'TUNNELGATE_API_TOKEN_FILE', config.tokenFile);
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    print(
      io.stderr,
      [
        'tunnelgate: cannot talk to tunnel-api yet:',
        ...problems.map((p) => `  - ${p}`),
        "Run it on the relay from the relay's directory (where data/api-token is), or give --token-file and --api-url.",
      ].join('\n'),
    );
    return 1;
  }
  const api = new TunnelApiClient({
    baseUrl: config.apiUrl,
    token,
    timeoutMs: config.timeoutMs,
    // Whole account lists in one answer: 1,000 accounts a page.
    maxResponseBytes: 64 * 1024 * 1024,
  });
  const names = command.args ?? [];
  try {
    const output = await command.run({
      api,
      options: values as Record<string, string | boolean | undefined>,
      arg: (name) => {
        const value = parsed.positionals[names.indexOf(name)];
        if (value === undefined) throw new Error(`${command.name} has no argument ${name}`);
        return value;
      },
      readStdin: () => readAll(io.stdin),
    });
    print(io.stdout, values['json'] === true ? JSON.stringify(output.json, null, 2) : output.text);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      print(io.stderr, `tunnelgate ${command.name}: ${error.message}`);
      return 2;
    }
    print(io.stderr, `tunnelgate ${command.name}: ${explainError(error, config)}`);
    return 1;
  } finally {
    api.close();
  }
}
