import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** The one seam through which tunnel-api starts processes (iptables and friends). */
export interface CommandRunner {
  run(file: string, args: readonly string[], input?: string): Promise<CommandResult>;
  /** Starts a long-lived process (a tool's interactive mode), in the same place `run` would. */
  spawn(file: string, args: readonly string[]): ChildProcessWithoutNullStreams;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `${command} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    this.name = 'CommandError';
  }
}

/** Runs commands directly, or inside a network namespace (`ip netns exec`), as tests do. */
export class ExecRunner implements CommandRunner {
  constructor(
    private readonly netns?: string,
    private readonly timeoutMs = 30_000,
  ) {}

  run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const [bin, argv] = this.commandLine(file, args);
    return new Promise((resolve, reject) => {
      const child = execFile(
        bin,
        argv,
        { timeout: this.timeoutMs, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error) {
            const code = typeof error.code === 'number' ? error.code : null;
            reject(new CommandError(`${file} ${args.join(' ')}`, code, stderr || error.message));
          } else resolve({ stdout, stderr });
        },
      );
      // A tool that exits without reading its input (a failing restore) closes the pipe first;
      // its exit status, reported above, is the error worth having.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input ?? '');
    });
  }

  spawn(file: string, args: readonly string[]): ChildProcessWithoutNullStreams {
    const [bin, argv] = this.commandLine(file, args);
    return spawn(bin, argv, { stdio: 'pipe' });
  }

  private commandLine(file: string, args: readonly string[]): [string, string[]] {
    return this.netns ? ['ip', ['netns', 'exec', this.netns, file, ...args]] : [file, [...args]];
  }
}
