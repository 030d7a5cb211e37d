import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The files OpenVPN hands its scripts. Each write replaces the whole file: OpenVPN reads only
 * its first character (status files) or all of it (config, reason).
 */
export function writeHookFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
}

/** via-file credentials: the username on the first line, the password on the second. */
export function readCredentialsFile(
  path: string,
): { username: string; password: string } | undefined {
  const lines = readFileSync(path, 'utf8').split('\n');
  const username = lines[0]?.replace(/\r$/, '');
  const password = lines[1]?.replace(/\r$/, '');
  return username && password ? { username, password } : undefined;
}
