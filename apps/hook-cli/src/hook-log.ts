import { PROCESS_REQUEST_ID } from './api/request-id';

/**
 * One JSON line per invocation on stderr, which OpenVPN puts in its log. Plain writes rather
 * than winston: the logger would add 50-85 ms to every client's connect.
 */
export interface HookLogLine {
  hook: string;
  outcome: 'admitted' | 'rejected' | 'deferred' | 'closed' | 'failed' | 'accepted';
  client?: string;
  vpnIp?: string;
  attempts?: number;
  elapsedMs: number;
  reason?: string;
  sessionId?: string;
  /** The id of the calls to tunnel-api this line is about (its own log has it on its lines). */
  requestId?: string;
}

export function writeHookLog(
  line: HookLogLine,
  stream: NodeJS.WritableStream = process.stderr,
): void {
  const level = line.outcome === 'rejected' || line.outcome === 'failed' ? 'warn' : 'info';
  stream.write(
    `${JSON.stringify({ time: new Date().toISOString(), app: 'hook-cli', level, requestId: PROCESS_REQUEST_ID, ...line })}\n`,
  );
}
