/** What a peek at a connection's first bytes found. */
export type PeekResult =
  /** Not enough bytes yet to tell: wait for more (while the peek deadline allows). */
  | { status: 'incomplete' }
  /** Not this protocol at all. */
  | { status: 'other' }
  /** This protocol; `host` when it named one that is a valid host name. */
  | { status: 'found'; host: string | undefined };

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/** A name that may go into a CONNECT line as is: letters, digits, hyphens, dots; nothing else. */
export function validHostName(name: string): string | undefined {
  return HOST_NAME.test(name) ? name.replace(/\.$/, '').toLowerCase() : undefined;
}
