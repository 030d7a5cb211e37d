import { statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiOutcome } from '@tunnelgate/api-client';

const FILE_NAME = 'tunnelgate-api-unreachable';

/**
 * What one hook run learnt about tunnel-api's reachability, left in a file for the next run.
 * OpenVPN cannot defer client-disconnect and runs it synchronously: while tunnel-api is known to be
 * down (a client rejected because the API did not answer is followed at once by its disconnect),
 * a disconnect that waited the whole timeout would freeze every customer's tunnel that long.
 */
export class OutageMarker {
  private readonly file: string | undefined;

  /** Without a state directory nothing is remembered and every run waits its full timeout. */
  constructor(stateDir: string | undefined) {
    this.file = stateDir ? join(stateDir, FILE_NAME) : undefined;
  }

  record(outcome: ApiOutcome): void {
    if (!this.file) return;
    try {
      if (outcome.kind === 'unreachable' || outcome.kind === 'timeout')
        writeFileSync(this.file, '');
      else unlinkSync(this.file);
    } catch {
      // Missing file on unlink, or an unwritable directory: the marker only ever shortens a wait.
    }
  }

  /** Whether some hook run found tunnel-api unreachable within the last `windowMs`. */
  recentlyDown(windowMs: number, now = Date.now()): boolean {
    if (!this.file) return false;
    try {
      return now - statSync(this.file).mtimeMs < windowMs;
    } catch {
      return false;
    }
  }
}
