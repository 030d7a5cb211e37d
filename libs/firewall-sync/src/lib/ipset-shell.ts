import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { CommandError, type CommandRunner } from './command-runner';

const PROMPT = 'ipset> ';

interface Exchange {
  /** Prompts still to come: one after each line (and the first one of a fresh process). */
  prompts: number;
  output: string;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One long-lived `ipset -` (its interactive mode) for the set edits of connects and
 * disconnects: a process spawn costs 5–8 ms, which is most of a connect's time to its rule,
 * while a line to a running ipset is one netlink round trip. ipset prints its prompt after each
 * command and its error, if any, before it; stderr is joined to stdout (by the shell) so the
 * two arrive in the order they were written, and stdout is unbuffered (coreutils' stdbuf):
 * ipset does not flush its prompt to a pipe. A process that dies or stops answering is killed
 * and the next edit starts another.
 */
export class IpsetShell {
  private child: ChildProcessWithoutNullStreams | undefined;
  private fresh = false;
  private current: Exchange | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs = 2_000,
  ) {}

  /** Runs the commands (ipset's syntax, one a line) in order; rejects with ipset's errors. */
  run(lines: readonly string[]): Promise<void> {
    if (lines.some((line) => /[\r\n]/.test(line)))
      return Promise.reject(new Error('an ipset command cannot span lines'));
    const done = this.queue.then(() => this.exchange(lines));
    this.queue = done.catch(() => undefined);
    return done;
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private exchange(lines: readonly string[]): Promise<void> {
    const child = this.child ?? this.start();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error(`ipset did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.current = {
        prompts: lines.length + (this.fresh ? 1 : 0),
        output: '',
        resolve,
        reject,
        timer,
      };
      this.fresh = false;
      child.stdin.write(lines.map((line) => `${line}\n`).join(''));
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = this.runner.spawn('sh', ['-c', 'exec stdbuf -o0 ipset - 2>&1']);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.received(chunk));
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => this.fail(error, child));
    child.on('exit', (code, signal) =>
      this.fail(new Error(`ipset exited (${signal ?? `code ${code}`})`), child),
    );
    this.child = child;
    this.fresh = true;
    return child;
  }

  private received(chunk: string): void {
    const exchange = this.current;
    if (!exchange) return;
    exchange.output += chunk;
    const parts = exchange.output.split(PROMPT);
    if (parts.length - 1 < exchange.prompts) return;
    clearTimeout(exchange.timer);
    this.current = undefined;
    const errors = parts.join('').trim();
    if (errors === '') exchange.resolve();
    else exchange.reject(new CommandError('ipset -', null, errors));
  }

  /** Ends the process (when it is the one given) and the exchange waiting on it. */
  private fail(error: Error, child = this.child): void {
    if (child !== this.child) return;
    child?.kill('SIGKILL');
    this.child = undefined;
    const exchange = this.current;
    this.current = undefined;
    if (!exchange) return;
    clearTimeout(exchange.timer);
    exchange.reject(error);
  }
}
