import type { Device } from '@tunnelgate/sessions';

/**
 * A device as read: its record's lastSeenAt is the one of its last real change; heartbeats since
 * are kept beside it (no change on the feed), and the newer of the two is the truth. ISO 8601 UTC
 * instants of one format order as strings.
 */
export function withSeenAt(device: Device, seenAt: string | null | undefined): Device {
  if (!seenAt || (device.lastSeenAt !== null && device.lastSeenAt >= seenAt)) return device;
  return { ...device, lastSeenAt: seenAt };
}
