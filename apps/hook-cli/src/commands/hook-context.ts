import type { Env } from '@tunnelgate/config';
import type { ApiTarget } from '../api/api-client';
import type { HookConfig } from '../config/hook.config';

/** What every command gets: the parsed config, OpenVPN's environment and file argument. */
export interface HookContext {
  config: HookConfig;
  api: ApiTarget;
  env: Env;
  /** OpenVPN's `$1`: the dynamic config file (connect) or the credentials file (auth via-file). */
  fileArgument: string | undefined;
  startedAt: number;
  /** True in the detached child that finishes a deferred connect or auth. */
  isDeferredWorker: boolean;
}

/** Exit codes OpenVPN understands: 0 success, 1 reject, 2 (auth only) decision deferred. */
export type HookExit = 0 | 1 | 2;

export function elapsed(ctx: HookContext): number {
  return Date.now() - ctx.startedAt;
}
