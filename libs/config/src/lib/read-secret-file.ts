import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * Reads a secret (the internal API token) from the file a config variable names. A world-readable
 * file is refused, as ssh does with keys: a leaked token opens the whole API. (Group access is
 * allowed: Kubernetes mounts secrets 0440 under an fsGroup.)
 */
export function readSecretFile(app: string, variable: string, path: string): string {
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
  if (text.length < 16) {
    throw new ConfigError(app, [`${variable}: the token in ${path} is shorter than 16 characters`]);
  }
  return text;
}
