import type { Redis } from 'ioredis';
import { deviceSchema, type Device } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { DevicePatch, DeviceRepository } from '../store';
import { StoreError } from '../store-error';
import type { RedisKeys } from './redis-keys';
import type { RedisMutator } from './redis-mutator';

export class RedisDevices implements DeviceRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly mutator: RedisMutator,
    private readonly now: () => Date,
  ) {}

  private decode(doc: string | null | undefined): Device | undefined {
    return doc ? decodeRecord(deviceSchema, 'device', doc) : undefined;
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
    return this.decode(await this.redis.get(this.keys.device(id)));
  }

  async list(): Promise<Device[]> {
    const ids = await this.redis.zrange(this.keys.deviceIds(), '0', '-1');
    if (ids.length === 0) return [];
    const docs = await this.redis.mget(ids.map((id) => this.keys.device(id)));
    return docs.flatMap((doc) => this.decode(doc) ?? []);
  }

  async update(id: string, patch: DevicePatch): Promise<Device> {
    return this.mutator.update(this.keys.device(id), (doc) => {
      const current = this.decode(doc);
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
          ops: [{ op: 'zrem', key: this.keys.deviceIds(), member: id }],
        },
      };
    });
  }
}
