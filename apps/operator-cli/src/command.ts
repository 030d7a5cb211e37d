import type { ParseArgsOptionsConfig } from 'node:util';
import type { TunnelApiClient } from '@tunnelgate/api-client';

export interface CommandInput {
  api: TunnelApiClient;
  /** A positional argument the command's `args` names (present: the parser checked). */
  arg(name: string): string;
  options: Record<string, string | boolean | undefined>;
  readStdin(): Promise<string>;
}

/** What a command shows: the API's own objects for `--json`, and text for people. */
export interface CommandOutput {
  json: unknown;
  text: string;
}

export interface Command {
  /** The words that select it, e.g. `accounts create`. */
  name: string;
  summary: string;
  /** Required positional arguments, by name. */
  args?: readonly string[];
  options?: ParseArgsOptionsConfig;
  /** One line per option, as `--help` shows them. */
  optionHelp?: readonly string[];
  run(input: CommandInput): Promise<CommandOutput>;
}
