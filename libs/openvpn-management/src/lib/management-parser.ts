/**
 * What OpenVPN 2.6 says on its management interface (management-notes.txt), as far as a
 * manager with `management-client-auth` needs it. Verified against OpenVPN 2.6.14 here: a
 * CONNECT's environment carries `username`, `password` and `untrusted_ip`/`_port` but no pool
 * address (`ifconfig_pool_remote_ip` first appears with ESTABLISHED), so the manager chooses the
 * client's address and pushes it (`ifconfig-push` in `client-auth`); `>CLIENT:ADDRESS` then
 * confirms it.
 */
export type ManagementEvent =
  /** A client wants in (CONNECT) or re-negotiated (REAUTH): answer client-auth or client-deny. */
  | {
      kind: 'client-auth-request';
      event: 'CONNECT' | 'REAUTH';
      cid: number;
      kid: number;
      env: ClientEnv;
    }
  /** A client was admitted and is up (the env has its pool address and `time_unix`). */
  | { kind: 'client-established'; cid: number; env: ClientEnv }
  /** A client is gone (the env has its byte counts and `time_duration`). */
  | { kind: 'client-disconnect'; cid: number; env: ClientEnv }
  /** The address a client got. */
  | { kind: 'client-address'; cid: number; address: string; primary: boolean }
  /** `bytecount N`: a client's bytes so far, from the server's side. */
  | { kind: 'client-bytecount'; cid: number; bytesIn: number; bytesOut: number }
  /** OpenVPN waits for `hold release`. */
  | { kind: 'hold' }
  | { kind: 'info'; text: string }
  /** The answer to a one-line command. */
  | { kind: 'reply'; ok: boolean; text: string }
  /** A multi-line answer (`status 3`), without its END. */
  | { kind: 'block'; lines: string[] }
  /** A line this parser does not understand or will not accept; it never throws. */
  | { kind: 'garbage'; line: string; reason: string };

/** A client's environment: names to values, and whether it broke the limits on its way in. */
export interface ClientEnv {
  values: Map<string, string>;
  /** Set when the environment was over the limits (too many or too long entries). */
  overLimits?: string;
}

export interface ParserLimits {
  /** A line longer than this is garbage (and never buffered beyond it). */
  maxLineBytes: number;
  /** Entries in one client's environment. */
  maxEnvEntries: number;
  /** Lines of a multi-line answer. */
  maxBlockLines: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxLineBytes: 16 * 1024,
  maxEnvEntries: 512,
  maxBlockLines: 100_000,
};

type PendingClient =
  | { kind: 'client-auth-request'; event: 'CONNECT' | 'REAUTH'; cid: number; kid: number }
  | { kind: 'client-established' | 'client-disconnect'; cid: number };

const CLIENT_HEADER =
  /^>CLIENT:(CONNECT|REAUTH|ESTABLISHED|DISCONNECT|ADDRESS|ENV|CR_RESPONSE),(.*)$/;
const NUMBER = /^\d{1,10}$/;

/**
 * Turns the management interface's bytes into events, line by line. Incremental (`feed` any
 * chunk), bounded (limits above), and total: every input gives events or `garbage`, never an
 * exception, so a manager survives anything the socket says.
 */
export class ManagementParser {
  private partial = '';
  private discarding = false;
  private client: (PendingClient & { env: ClientEnv }) | undefined;
  private block: string[] | undefined;
  /** Multi-line answers asked for and not yet complete (commands are answered in order). */
  private pendingBlocks = 0;

  constructor(private readonly limits: ParserLimits = DEFAULT_PARSER_LIMITS) {}

  /** One more multi-line answer is on its way (the caller sent `status 3`). */
  expectBlock(): void {
    this.pendingBlocks++;
    this.block ??= [];
  }

  feed(chunk: string): ManagementEvent[] {
    const events: ManagementEvent[] = [];
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline >= 0; newline = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, newline);
      start = newline + 1;
      if (this.discarding) {
        this.discarding = false;
        this.partial = '';
        continue;
      }
      const line = (this.partial + piece).replace(/\r$/, '');
      this.partial = '';
      if (line.length > this.limits.maxLineBytes) {
        events.push({ kind: 'garbage', line: line.slice(0, 200), reason: 'line too long' });
        continue;
      }
      this.line(line, events);
    }
    const rest = chunk.slice(start);
    if (this.discarding) return events;
    if (this.partial.length + rest.length > this.limits.maxLineBytes) {
      events.push({
        kind: 'garbage',
        line: (this.partial + rest).slice(0, 200),
        reason: 'line too long',
      });
      this.partial = '';
      this.discarding = true;
    } else this.partial += rest;
    return events;
  }

  private line(line: string, events: ManagementEvent[]): void {
    if (line.startsWith('>')) return this.notification(line, events);
    if (line.startsWith('SUCCESS:') || line.startsWith('ERROR:')) {
      events.push({
        kind: 'reply',
        ok: line.startsWith('SUCCESS:'),
        text: line.replace(/^\w+: ?/, ''),
      });
      return;
    }
    if (this.block) {
      if (line === 'END') {
        events.push({ kind: 'block', lines: this.block });
        this.pendingBlocks--;
        this.block = this.pendingBlocks > 0 ? [] : undefined;
      } else if (this.block.length < this.limits.maxBlockLines) this.block.push(line);
      return;
    }
    events.push({ kind: 'garbage', line: line.slice(0, 200), reason: 'not a known message' });
  }

  private notification(line: string, events: ManagementEvent[]): void {
    if (line.startsWith('>HOLD:')) return void events.push({ kind: 'hold' });
    if (line.startsWith('>INFO:')) return void events.push({ kind: 'info', text: line.slice(6) });
    if (line.startsWith('>BYTECOUNT_CLI:')) {
      const [cid, bytesIn, bytesOut] = line.slice(15).split(',');
      if ([cid, bytesIn, bytesOut].every((n) => /^\d{1,16}$/.test(n ?? '')))
        events.push({
          kind: 'client-bytecount',
          cid: Number(cid),
          bytesIn: Number(bytesIn),
          bytesOut: Number(bytesOut),
        });
      else events.push({ kind: 'garbage', line, reason: 'malformed BYTECOUNT_CLI' });
      return;
    }
    const client = CLIENT_HEADER.exec(line);
    if (!client) {
      // Other notifications (>LOG, >STATE, >PASSWORD…) carry nothing a manager acts on.
      events.push({ kind: 'info', text: line.slice(1) });
      return;
    }
    const [, what, args = ''] = client;
    if (what === 'ENV') return this.env(args, events);
    if (this.client)
      events.push({ kind: 'garbage', line, reason: 'a client header before the last one ended' });
    this.client = undefined;
    const parts = args.split(',');
    const numbers = parts.map((part) => (NUMBER.test(part) ? Number(part) : NaN));
    const cid = numbers[0] ?? NaN;
    switch (what) {
      case 'CONNECT':
      case 'REAUTH': {
        const kid = numbers[1] ?? NaN;
        if (Number.isNaN(cid) || Number.isNaN(kid))
          return void events.push({ kind: 'garbage', line, reason: `malformed ${what}` });
        this.client = {
          kind: 'client-auth-request',
          event: what,
          cid,
          kid,
          env: { values: new Map() },
        };
        return;
      }
      case 'ESTABLISHED':
      case 'DISCONNECT':
        if (Number.isNaN(cid))
          return void events.push({ kind: 'garbage', line, reason: `malformed ${what}` });
        this.client = {
          kind: what === 'ESTABLISHED' ? 'client-established' : 'client-disconnect',
          cid,
          env: { values: new Map() },
        };
        return;
      case 'ADDRESS':
        if (Number.isNaN(cid) || !parts[1])
          return void events.push({ kind: 'garbage', line, reason: 'malformed ADDRESS' });
        events.push({ kind: 'client-address', cid, address: parts[1], primary: parts[2] === '1' });
        return;
      default:
        events.push({ kind: 'info', text: line.slice(1) });
    }
  }

  private env(args: string, events: ManagementEvent[]): void {
    const client = this.client;
    if (!client)
      return void events.push({
        kind: 'garbage',
        line: `>CLIENT:ENV,${args.slice(0, 100)}`,
        reason: 'ENV outside a client event',
      });
    if (args === 'END') {
      this.client = undefined;
      events.push(client);
      return;
    }
    const equals = args.indexOf('=');
    if (equals <= 0) {
      client.env.overLimits ??= 'a malformed environment entry';
      return;
    }
    if (client.env.values.size >= this.limits.maxEnvEntries) {
      client.env.overLimits ??= `more than ${this.limits.maxEnvEntries} environment entries`;
      return;
    }
    client.env.values.set(args.slice(0, equals), args.slice(equals + 1));
  }
}
