import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { StoreError } from '../store-error';

/**
 * A lock file beside the database naming the process that holds it: a second tunnel-api on the
 * same file is refused at start with a message that says which, instead of two writers and two
 * change feeds racing. A lock left by a process that no longer runs (SIGKILL, a crash) is taken
 * over. It guards processes of one machine (or one pod), which is where a SQLite file lives.
 */
export class ProcessLock {
  private constructor(private readonly path: string) {}

  static take(path: string, what: string): ProcessLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new ProcessLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
        throw new StoreError(
          'UNAVAILABLE',
          `${what} is open in another tunnel-api (pid ${holder}): stop it first, or give this one another TUNNELGATE_STORE`,
        );
      // Left behind by a process that is gone: take it over.
      unlinkSync(path);
    }
    throw new StoreError('UNAVAILABLE', `cannot take the lock ${path}`);
  }

  release(): void {
    try {
      if (readFileSync(this.path, 'utf8').trim() === String(process.pid)) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
