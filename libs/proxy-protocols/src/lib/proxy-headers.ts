/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1, plus the proxy ones). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

/** Removes hop-by-hop headers, including those the Connection header names, in place. */
export function stripHopByHop(headers: Record<string, string | string[] | undefined>): void {
  const named = String(headers['connection'] ?? headers['proxy-connection'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.includes(lower)) delete headers[name];
  }
}

export interface Credentials {
  username: string;
  password: string;
}

/** `Proxy-Authorization: Basic <base64(user:pass)>`; undefined when absent or not Basic. */
export function parseBasicCredentials(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1400})\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
