import { statSync } from 'node:fs';
import { readSecretLines } from '@tunnelgate/config';
import { tokenMatches } from './api-token';
import type { Principal } from './principal';

/** Which principal a presented bearer token belongs to. */
export interface TokenSource {
  principalOf(presented: string): Principal | undefined;
}

/** How often a token file is looked at again for a rotation. */
const RECHECK_MS = 1000;

interface TokenFile {
  principal: Principal;
  path: string;
  variable: string;
  tokens: string[];
  mtimeMs: number;
  checkedAt: number;
}

/**
 * The principals' token files, re-read when they change (checked at most once a second), so a
 * token is rotated without a restart: put the new one on the first line and keep the old one on
 * the second while the clients move over, then drop it. A file that turns unreadable keeps its
 * last tokens, and the problem shows in the log of the process that wrote it.
 */
export class TokenRing implements TokenSource {
  private readonly files: TokenFile[];

  constructor(files: readonly { principal: Principal; path: string; variable: string }[]) {
    this.files = files.map((file) => ({
      ...file,
      tokens: readSecretLines('tunnel-api', file.variable, file.path),
      mtimeMs: statSync(file.path).mtimeMs,
      checkedAt: Date.now(),
    }));
  }

  principalOf(presented: string): Principal | undefined {
    for (const file of this.files) {
      this.refresh(file);
      if (file.tokens.some((token) => tokenMatches(token, presented))) return file.principal;
    }
    return undefined;
  }

  private refresh(file: TokenFile): void {
    const now = Date.now();
    if (now - file.checkedAt < RECHECK_MS) return;
    file.checkedAt = now;
    try {
      const { mtimeMs } = statSync(file.path);
      if (mtimeMs === file.mtimeMs) return;
      file.tokens = readSecretLines('tunnel-api', file.variable, file.path);
      file.mtimeMs = mtimeMs;
    } catch {
      // Half-written or briefly missing during a rotation: the last good tokens stay.
    }
  }
}

/** One fixed operator token (tests that build the app in process). */
export function operatorToken(token: string): TokenSource {
  return { principalOf: (presented) => (tokenMatches(token, presented) ? 'operator' : undefined) };
}
