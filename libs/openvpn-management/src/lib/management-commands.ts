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

/**
 * Disconnects a connected client. Its second argument is the control message the client gets,
 * which OpenVPN 2.6 acts on only when it is RESTART or HALT (anything else the client logs as
 * unknown and stays connected, as seen here): RESTART with the reason, so the client reconnects
 * and meets the verdict on its account (refused with the reason, or admitted again).
 */
export function clientKill(cid: number, reason?: string): string {
  const message = reason === undefined ? 'RESTART' : `RESTART,${reason}`;
  return `client-kill ${cid} ${quoteArgument(message)}\n`;
}
