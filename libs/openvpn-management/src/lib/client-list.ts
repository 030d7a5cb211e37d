/** One connected client as `status 3` lists it. */
export interface ListedClient {
  commonName: string;
  realAddress: string;
  virtualAddress: string;
  bytesReceived: number;
  bytesSent: number;
  connectedSinceUnix: number;
  username: string;
  cid: number;
}

/**
 * The CLIENT_LIST rows of a `status 3` answer (tab-separated, its HEADER naming the columns, as
 * OpenVPN 2.6 prints them). Rows that do not fit the header are skipped, not guessed at.
 */
export function parseClientList(lines: readonly string[]): ListedClient[] {
  const header = lines.find((line) => line.startsWith('HEADER\tCLIENT_LIST\t'))?.split('\t');
  if (!header) return [];
  const column = (name: string) => header.indexOf(name) - 1;
  const at = {
    commonName: column('Common Name'),
    realAddress: column('Real Address'),
    virtualAddress: column('Virtual Address'),
    bytesReceived: column('Bytes Received'),
    bytesSent: column('Bytes Sent'),
    connectedSinceUnix: column('Connected Since (time_t)'),
    username: column('Username'),
    cid: column('Client ID'),
  };
  if (Object.values(at).some((index) => index < 0)) return [];
  const clients: ListedClient[] = [];
  for (const line of lines) {
    if (!line.startsWith('CLIENT_LIST\t')) continue;
    const cells = line.split('\t');
    const text = (index: number) => cells[index] ?? '';
    const number = (index: number) => (/^\d{1,16}$/.test(text(index)) ? Number(text(index)) : NaN);
    const client: ListedClient = {
      commonName: text(at.commonName),
      realAddress: text(at.realAddress),
      virtualAddress: text(at.virtualAddress),
      bytesReceived: number(at.bytesReceived),
      bytesSent: number(at.bytesSent),
      connectedSinceUnix: number(at.connectedSinceUnix),
      username: text(at.username),
      cid: number(at.cid),
    };
    if (cells.length === header.length - 1 && !Number.isNaN(client.cid)) clients.push(client);
  }
  return clients;
}
