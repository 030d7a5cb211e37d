import type { Env } from '@tunnelgate/config';
import { postJson, type ApiOutcome, type ApiTarget } from '@tunnelgate/api-client';
import type { OutageMarker } from '../api/outage-marker';
import type { HookConfig } from '../config/hook.config';

/** What every command gets: the parsed config, OpenVPN's environment and file argument. */
export interface HookContext {
  config: HookConfig;
  api: ApiTarget;
  outage: OutageMarker;
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

/** One POST to tunnel-api, its outcome remembered for the hook runs that follow. */
export async function callApi(
  ctx: HookContext,
  path: string,
  body: unknown,
  target: ApiTarget = ctx.api,
): Promise<ApiOutcome> {
  const outcome = await postJson(target, path, body);
  ctx.outage.record(outcome);
  return outcome;
}
