import type { Redis } from 'ioredis';
import { deviceSchema, type Device } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { DevicePatch, DeviceRepository } from '../store';
import { StoreError } from '../store-error';
import { withSeenAt } from '../device-liveness';
import type { RedisKeys } from './redis-keys';
import type { RedisMutator } from './redis-mutator';

export class RedisDevices implements DeviceRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly mutator: RedisMutator,
    private readonly now: () => Date,
  ) {}

  private decode(doc: string | null | undefined, seenAt?: string | null): Device | undefined {
    return doc ? withSeenAt(decodeRecord(deviceSchema, 'device', doc), seenAt) : undefined;
  }

  async put(device: Device): Promise<Device> {
    return this.mutator.update(this.keys.device(device.id), (doc) => {
      const current = this.decode(doc);
      const next: Device = current ? { ...device, createdAt: current.createdAt } : device;
      return {
        result: next,
        mutation: {
          key: this.keys.device(device.id),
          expected: doc ?? undefined,
          next: encodeRecord(deviceSchema, 'device', next),
          change: {
            kind: 'device',
            op: current ? 'updated' : 'created',
            id: device.id,
            value: next,
          },
          ops: [{ op: 'zadd', key: this.keys.deviceIds(), member: device.id, score: 0 }],
        },
      };
    });
  }

  async get(id: string): Promise<Device | undefined> {
    const [doc, seenAt] = await this.redis.mget(this.keys.device(id), this.keys.deviceSeen(id));
    return this.decode(doc, seenAt);
  }

  async list(): Promise<Device[]> {
    const ids = await this.redis.zrange(this.keys.deviceIds(), '0', '-1');
    if (ids.length === 0) return [];
    const values = await this.redis.mget(
      ids.flatMap((id) => [this.keys.device(id), this.keys.deviceSeen(id)]),
    );
    return ids.flatMap((_, i) => this.decode(values[2 * i], values[2 * i + 1]) ?? []);
  }

  async touch(id: string, lastSeenAt: string): Promise<Device | undefined> {
    const [[, doc]] = (await this.redis
      .multi()
      .get(this.keys.device(id))
      .set(this.keys.deviceSeen(id), lastSeenAt)
      .exec()) as [[Error | null, string | null]];
    // No device (deleted meanwhile): its heartbeat key must not outlive it.
    if (!doc) await this.redis.del(this.keys.deviceSeen(id));
    return this.decode(doc, lastSeenAt);
  }

  async update(id: string, patch: DevicePatch): Promise<Device> {
    // The record written keeps the latest heartbeat, as the SQLite store's does.
    const seenAt = await this.redis.get(this.keys.deviceSeen(id));
    return this.mutator.update(this.keys.device(id), (doc) => {
      const current = this.decode(doc, seenAt);
      if (!current || doc === null) throw new StoreError('NOT_FOUND', `no device ${id}`);
      const next: Device = { ...current, ...patch, updatedAt: this.now().toISOString() };
      return {
        result: next,
        mutation: {
          key: this.keys.device(id),
          expected: doc,
          next: encodeRecord(deviceSchema, 'device', next),
          change: { kind: 'device', op: 'updated', id, value: next },
          ops: [],
        },
      };
    });
  }

  async delete(id: string): Promise<Device | undefined> {
    return this.mutator.update(this.keys.device(id), (doc) => {
      const current = this.decode(doc);
      if (!current || doc === null) return { result: undefined };
      return {
        result: current,
        mutation: {
          key: this.keys.device(id),
          expected: doc,
          next: undefined,
          change: { kind: 'device', op: 'deleted', id, value: current },
          ops: [
            { op: 'zrem', key: this.keys.deviceIds(), member: id },
            { op: 'del', key: this.keys.deviceSeen(id) },
          ],
        },
      };
    });
  }
}
