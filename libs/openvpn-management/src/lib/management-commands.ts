/**
 * Commands a manager sends (management-notes.txt). Every argument is quoted and escaped the
 * way OpenVPN's parser reads it (backslash before `"` and `\`); line breaks, which would end a
 * command in the middle and start another, never get through: a reason loses them, a config
 * line that has one is refused.
 */

/** A double-quoted management argument; control characters become spaces. */
export function quoteArgument(text: string): string {
  let clean = '';
  for (const char of text) clean += char < ' ' || char === '\x7f' ? ' ' : char;
  return `"${clean.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export class UnsafeConfigLine extends Error {}

/**
 * Admits a client, with the lines of its client-connect config (`ifconfig-push`, `push …`).
 * Refuses a line with a line break, or one that reads `END`, which would end the block early.
 */
export function clientAuth(cid: number, kid: number, configLines: readonly string[]): string {
  for (const line of configLines)
    if (/[\r\n\0]/.test(line) || line.trim() === 'END')
      throw new UnsafeConfigLine(`config line not allowed in client-auth: ${JSON.stringify(line)}`);
  return [`client-auth ${cid} ${kid}`, ...configLines, 'END', ''].join('\n');
}

/** Refuses a client; `clientReason` is what the client's log shows (OpenVPN 2.6 sends it). */
export function clientDeny(
  cid: number,
  kid: number,
  reason: string,
  clientReason?: string,
): string {
  const client = clientReason === undefined ? '' : ` ${quoteArgument(clientReason)}`;
  return `client-deny ${cid} ${kid} ${quoteArgument(reason)}${client}\n`;
}

/** Disconnects a connected client, telling it why (it sees a RESTART/HALT with the message). */
export function clientKill(cid: number, message?: string): string {
  return `client-kill ${cid}${message === undefined ? '' : ` ${quoteArgument(message)}`}\n`;
}
