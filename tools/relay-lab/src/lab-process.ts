import type { ChildProcess } from 'node:child_process';
import { waitFor, type Netns } from '@tunnelgate/netns-testing';

/** A long-running program in a namespace, with its output kept for assertions and failures. */
export class LabProcess {
  output = '';
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly ns: Netns,
    private readonly file: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  start(): this {
    const child = this.ns.spawn(this.file, this.args, this.env);
    const keep = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    return this;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Output since `mark` (an earlier `output.length`) that contains `text`. */
  async waitForOutput(text: string | RegExp, mark = 0, attempts = 150): Promise<void> {
    const seen = () => {
      const since = this.output.slice(mark);
      return typeof text === 'string' ? since.includes(text) : text.test(since);
    };
    await waitFor(async () => seen(), `${this.name} to print ${String(text)}`, attempts).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n--- ${this.name} output:\n${this.output.slice(-6000)}`);
      },
    );
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGTERM (or another signal) and wait for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
