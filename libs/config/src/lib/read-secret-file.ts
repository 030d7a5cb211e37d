import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * Reads the secrets (API tokens) of the file a config variable names: one a line, at most two
 * (during a rotation the new one first, the old one after it), each of 16 characters or more. A
 * world-readable file is refused, as ssh does with keys: a leaked token opens the API. (Group
 * access is allowed: Kubernetes mounts secrets 0440 under an fsGroup.)
 */
export function readSecretLines(app: string, variable: string, path: string): string[] {
  let text: string;
  try {
    const mode = statSync(path).mode;
    if ((mode & 0o007) !== 0) {
      throw new ConfigError(app, [
        `${variable}: ${path} is accessible to others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
      ]);
    }
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(app, [`${variable}: cannot read ${path}: ${(error as Error).message}`]);
  }
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length === 0 || lines.some((line) => line.length < 16)) {
    throw new ConfigError(app, [`${variable}: the token in ${path} is shorter than 16 characters`]);
  }
  if (lines.length > 2) {
    throw new ConfigError(app, [
      `${variable}: ${path} holds ${lines.length} tokens; at most two (new, then old) during a rotation`,
    ]);
  }
  return lines;
}

/** The token a client presents: the file's first (newest) one. */
export function readSecretFile(app: string, variable: string, path: string): string {
  return readSecretLines(app, variable, path)[0] ?? '';
}
