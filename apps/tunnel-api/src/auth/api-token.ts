import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readSecretFile } from '@tunnelgate/config';

/**
 * The internal API token: read from its file, or, on a first start with the default setup,
 * generated there (mode 600) so the hook and the gateway of the same host can read it.
 */
export function loadOrCreateApiToken(path: string): { token: string; created: boolean } {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return {
      token: readSecretFile('tunnel-api', 'TUNNELGATE_API_TOKEN_FILE', path),
      created: true,
    };
  }
  return { token: readSecretFile('tunnel-api', 'TUNNELGATE_API_TOKEN_FILE', path), created: false };
}

/** Compares in constant time; hashing first makes the lengths equal too. */
export function tokenMatches(expected: string, presented: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
