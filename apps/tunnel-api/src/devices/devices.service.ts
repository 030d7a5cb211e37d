import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  basePortClash,
  type Device,
  type DeviceUpsertRequest,
  type PublicDevice,
} from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { FirewallService } from '../firewall/firewall.service';
import { ApiError } from '../http/api-error';
import { InjectStore } from '../store/store.module';

export function toPublicDevice(device: Device): PublicDevice {
  const { proxyCredentials, ...rest } = device;
  return { ...rest, hasProxyCredentials: proxyCredentials !== null };
}

/**
 * Devices as the platform's tunnel side reports them. A device that misses heartbeats for
 * TUNNELGATE_DEVICE_OFFLINE_AFTER_MS goes offline: its DNAT rules go, new connects to it get 503.
 * Heartbeats are kept beside the device record, in the store every relay shares, so a device
 * heartbeating to another relay's tunnel-api stays online here too.
 */
@Injectable()
export class DevicesService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Devices');
  private sweeper: NodeJS.Timeout | undefined;
  /** Upserts one at a time, so two devices cannot claim overlapping ports at once. */
  private upserts: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectStore() private readonly store: Store,
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
    private readonly firewall: FirewallService,
  ) {}

  onModuleInit(): void {
    const every = Math.max(250, Math.floor(this.config.deviceOfflineAfterMs / 4));
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), every);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  upsert(id: string, request: Required<DeviceUpsertRequest>): Promise<PublicDevice> {
    const done = this.upserts.then(() => this.upsertNow(id, request));
    this.upserts = done.catch(() => undefined);
    return done;
  }

  private async upsertNow(
    id: string,
    request: Required<DeviceUpsertRequest>,
  ): Promise<PublicDevice> {
    if (request.basePort !== null) {
      const clash = basePortClash(
        id,
        request.basePort,
        await this.store.devices.list(),
        this.config.reservedPorts,
      );
      if (clash?.with === 'device')
        throw new ApiError('CONFLICT', `basePort ${request.basePort}: ${clash.message}`);
      if (clash)
        throw new ApiError('VALIDATION_FAILED', `basePort ${request.basePort}: ${clash.message}`, [
          `basePort: ${clash.message}`,
        ]);
    }
    const now = new Date().toISOString();
    const current = await this.store.devices.get(id);
    const device = await this.store.devices.put({
      id,
      ...request,
      status: current?.status ?? 'offline',
      lastSeenAt: current?.lastSeenAt ?? null,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    });
    await this.firewall.sync();
    return toPublicDevice(device);
  }

  async get(id: string): Promise<PublicDevice> {
    const device = await this.store.devices.get(id);
    if (!device) throw new ApiError('NOT_FOUND', `no device ${id}`);
    return toPublicDevice(device);
  }

  async list(): Promise<PublicDevice[]> {
    return (await this.store.devices.list()).map(toPublicDevice);
  }

  /**
   * connected and heartbeat both mean "online, seen now". Being seen is a heartbeat beside the
   * record (no change on the feed, no watch line to the gateways, no firewall sync); only going
   * online is a change.
   */
  async markOnline(id: string): Promise<PublicDevice> {
    const now = new Date().toISOString();
    const seen = await this.store.devices.touch(id, now);
    if (!seen) throw new ApiError('NOT_FOUND', `no device ${id}`);
    if (seen.status === 'online') return toPublicDevice(seen);
    const device = await this.store.devices.update(id, { status: 'online', lastSeenAt: now });
    await this.firewall.sync();
    return toPublicDevice(device);
  }

  async markOffline(id: string, why: string): Promise<PublicDevice> {
    const device = await this.store.devices.update(id, { status: 'offline' });
    const sessions = await this.store.sessions.listActive({ deviceId: id });
    this.logger.warn({
      message: 'device offline',
      deviceId: id,
      why,
      activeSessions: sessions.map((s) => s.id),
    });
    await this.firewall.sync();
    return toPublicDevice(device);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.devices.delete(id))) throw new ApiError('NOT_FOUND', `no device ${id}`);
    await this.firewall.sync();
  }

  private async sweep(): Promise<void> {
    const cutoff = Date.now() - this.config.deviceOfflineAfterMs;
    for (const device of await this.store.devices.list()) {
      if (
        device.status === 'online' &&
        (device.lastSeenAt === null || Date.parse(device.lastSeenAt) < cutoff)
      ) {
        await this.markOffline(device.id, 'missed heartbeats');
      }
    }
  }
}
