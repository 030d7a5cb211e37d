import type { Account } from './account';
import type { ClientSession } from './client-session';
import type { Device } from './device';

export const CHANGE_OPS = ['created', 'updated', 'deleted'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

interface ChangeOf<K extends string, V> {
  /** Strictly increasing per store; a watcher resumes after the last revision it saw. */
  revision: number;
  kind: K;
  op: ChangeOp;
  id: string;
  /** The value after the change; for `deleted`, the value it had when deleted. */
  value: V;
}

export type AccountChange = ChangeOf<'account', Account>;
export type DeviceChange = ChangeOf<'device', Device>;
export type SessionChange = ChangeOf<'session', ClientSession>;
export type Change = AccountChange | DeviceChange | SessionChange;
export type ResourceKind = Change['kind'];
