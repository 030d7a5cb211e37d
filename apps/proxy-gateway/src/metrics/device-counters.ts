/** The label of devices past the cap: their figures are summed there, never dropped. */
export const OTHER_DEVICES = '_other';

export type DeviceConnectOutcome = 'ok' | 'refused' | 'timeout' | 'failed';

const REFUSALS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'FORBIDDEN',
  'PROXY_REFUSED',
]);

/**
 * Upstream error codes in four outcomes, so a label's values stay few whatever a phone answers:
 * `refused` (the phone's proxy or the destination said no), `timeout`, and `failed` (resets,
 * garbage, a phone that does not speak its protocol: the phone's own trouble, mostly).
 */
export function deviceConnectOutcome(code: string): Exclude<DeviceConnectOutcome, 'ok'> {
  if (code === 'ETIMEDOUT') return 'timeout';
  return REFUSALS.has(code) ? 'refused' : 'failed';
}

/**
 * Per-device connects and their time, in plain numbers published at scrape time (as the
 * connection counters are, and for the same reason). A relay may serve thousands of phones:
 * the first `maxDevices` seen get a label each (at most five series a device), later ones are
 * summed under `_other`, so the series a relay exports stay bounded; 0 puts every device there.
 */
export class DeviceCounters {
  readonly connects = new Map<string, Map<DeviceConnectOutcome, number>>();
  readonly connectSeconds = new Map<string, number>();
  /** Open tunnels by device id (the connection registry counts them at scrape time). */
  openByDevice: () => Map<string, number> = () => new Map();
  private readonly labelled = new Set<string>();

  constructor(private readonly maxDevices: number) {}

  label(deviceId: string): string {
    if (this.labelled.has(deviceId)) return deviceId;
    if (this.labelled.size >= this.maxDevices) return OTHER_DEVICES;
    this.labelled.add(deviceId);
    return deviceId;
  }

  connected(deviceId: string, seconds: number): void {
    const device = this.label(deviceId);
    this.count(device, 'ok');
    this.connectSeconds.set(device, (this.connectSeconds.get(device) ?? 0) + seconds);
  }

  failed(deviceId: string, code: string): void {
    this.count(this.label(deviceId), deviceConnectOutcome(code));
  }

  /** Open tunnels by label (devices past the cap summed). */
  active(): Map<string, number> {
    const byLabel = new Map<string, number>();
    for (const [deviceId, open] of this.openByDevice()) {
      const device = this.label(deviceId);
      byLabel.set(device, (byLabel.get(device) ?? 0) + open);
    }
    return byLabel;
  }

  private count(device: string, outcome: DeviceConnectOutcome): void {
    let byOutcome = this.connects.get(device);
    if (!byOutcome) this.connects.set(device, (byOutcome = new Map()));
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  }
}
