import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';

/**
 * The files OpenVPN hands its scripts. Each write replaces the whole file: OpenVPN reads only
 * its first character (status files) or all of it (config, reason). The path comes from
 * OpenVPN's environment, in a directory others may write to (/tmp): a symlink planted there is
 * not followed (O_NOFOLLOW), and only a regular file of our own user is written, so the hook
 * can never be made to overwrite another file.
 */
export function writeHookFile(path: string, content: string): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    0o600,
  );
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    if (stat.uid !== process.geteuid?.()) throw new Error(`${path} belongs to another user`);
    ftruncateSync(fd);
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
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
