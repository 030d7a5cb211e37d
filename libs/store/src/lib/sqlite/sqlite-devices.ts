import { deviceSchema, type Device } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { DevicePatch, DeviceRepository } from '../store';
import { StoreError } from '../store-error';
import type { SqliteContext } from './sqlite-context';

export class SqliteDevices implements DeviceRepository {
  private readonly byId;
  private readonly all;
  private readonly upsert;
  private readonly remove;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.byId = db.prepare<[string], { doc: string }>('SELECT doc FROM devices WHERE id = ?');
    this.all = db.prepare<[], { doc: string }>('SELECT doc FROM devices ORDER BY id');
    this.upsert = db.prepare(
      'INSERT INTO devices (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
    );
    this.remove = db.prepare('DELETE FROM devices WHERE id = ?');
  }

  private read(id: string): Device | undefined {
    const row = this.byId.get(id);
    return row ? decodeRecord(deviceSchema, 'device', row.doc) : undefined;
  }

  async put(device: Device): Promise<Device> {
    return this.ctx.mutate((record) => {
      const current = this.read(device.id);
      const next: Device = current ? { ...device, createdAt: current.createdAt } : device;
      this.upsert.run(device.id, encodeRecord(deviceSchema, 'device', next));
      record({ kind: 'device', op: current ? 'updated' : 'created', id: device.id, value: next });
      return next;
    });
  }

  async get(id: string): Promise<Device | undefined> {
    return this.read(id);
  }

  async list(): Promise<Device[]> {
    return this.all.all().map((row) => decodeRecord(deviceSchema, 'device', row.doc));
  }

  async update(id: string, patch: DevicePatch): Promise<Device> {
    return this.ctx.mutate((record) => {
      const current = this.read(id);
      if (!current) throw new StoreError('NOT_FOUND', `no device ${id}`);
      const next: Device = { ...current, ...patch, updatedAt: this.ctx.timestamp() };
      this.upsert.run(id, encodeRecord(deviceSchema, 'device', next));
      record({ kind: 'device', op: 'updated', id, value: next });
      return next;
    });
  }

  async delete(id: string): Promise<Device | undefined> {
    return this.ctx.mutate((record) => {
      const current = this.read(id);
      if (!current) return undefined;
      this.remove.run(id);
      record({ kind: 'device', op: 'deleted', id, value: current });
      return current;
    });
  }
}
