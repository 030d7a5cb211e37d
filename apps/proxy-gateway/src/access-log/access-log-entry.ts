import type { Tunnel } from '../connections/tunnel';

/**
 * One line of the access log (docs/operations.md, "Access log"): what an abuse report, a legal
 * request or "customer X can't reach site Y" needs, and never a credential. Times are the end's;
 * bytes are the client's side (up: from the client, down: to it).
 */
export interface AccessLogEntry {
  time: string;
  kind: 'tunnel' | 'request';
  /** `<gateway>:<n>`: unique per gateway process (a cluster worker is a gateway of its own). */
  connection: string;
  listener: string;
  client: string | null;
  account: string | null;
  device: string | null;
  session: string | null;
  /** host:port the customer asked for (transparent: the name it sent, else the address). */
  target: string | null;
  /** Transparent connections: the name seen in the first bytes, and how it was found. */
  name: string | null;
  via: string | null;
  /** Forwarded requests: the method and the origin's status. */
  method?: string;
  status?: number;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** `tunnel`, `forwarded`, `refused`, `upstream-failed`, `bad-target`, `closed-early`, ... */
  outcome: string;
  /** Why: the refusal's kind, the upstream's error code, or who ended a tunnel (`kicked`,
   * `over-quota`, `idle`, `draining`, ...). */
  reason: string | null;
}

/** A connection's id in the access log and in tunnel-api's log (its password check's request). */
export function connectionIdOf(gateway: string, tunnel: Tunnel): string {
  return `${gateway}:${tunnel.id}`;
}

export function tunnelEntry(tunnel: Tunnel, gateway: string, now = Date.now()): AccessLogEntry {
  return {
    time: new Date(now).toISOString(),
    kind: 'tunnel',
    connection: connectionIdOf(gateway, tunnel),
    listener: tunnel.listener,
    client: tunnel.clientAddress ?? null,
    account: tunnel.accountId ?? null,
    device: tunnel.deviceId ?? null,
    session: tunnel.sessionId ?? null,
    target: tunnel.target ?? null,
    name: tunnel.name ?? null,
    via: tunnel.via ?? null,
    bytesUp: tunnel.client.bytesRead + tunnel.udpBytesIn,
    bytesDown: tunnel.client.bytesWritten + tunnel.udpBytesOut,
    durationMs: now - tunnel.acceptedAt,
    outcome: tunnel.outcome ?? 'closed-early',
    reason: tunnel.reason ?? tunnel.closedBy ?? null,
  };
}

/** A request forwarded on a kept-alive connection: the connection's fields, its own figures. */
export function requestEntry(
  tunnel: Tunnel,
  gateway: string,
  request: {
    method: string;
    target: string;
    status: number;
    startedAt: number;
    bytesUp: number;
    bytesDown: number;
    completed: boolean;
  },
  now = Date.now(),
): AccessLogEntry {
  return {
    ...tunnelEntry(tunnel, gateway, now),
    kind: 'request',
    target: request.target,
    method: request.method,
    status: request.status,
    bytesUp: request.bytesUp,
    bytesDown: request.bytesDown,
    durationMs: now - request.startedAt,
    outcome: 'forwarded',
    reason: request.completed ? null : (tunnel.closedBy ?? 'closed-before-answer'),
  };
}
