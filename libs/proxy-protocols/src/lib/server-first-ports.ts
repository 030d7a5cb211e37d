/**
 * Ports whose servers speak first (a banner or greeting): a client there sends nothing until it
 * has heard the server, so the transparent listener must not wait for a hostname at all.
 * FTP, SSH, Telnet, SMTP, POP3, IMAP, submission, MySQL, VNC.
 */
export const SERVER_FIRST_PORTS: ReadonlySet<number> = new Set([
  21, 22, 23, 25, 110, 143, 587, 3306, 5900,
]);
