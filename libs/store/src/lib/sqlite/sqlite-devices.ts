import { deviceSchema, type Device } from '@tunnelgate/sessions';
import { decodeRecord, encodeRecord } from '../record-codec';
import type { DevicePatch, DeviceRepository } from '../store';
import { StoreError } from '../store-error';
import { withSeenAt } from '../device-liveness';
import type { SqliteContext } from './sqlite-context';

interface DeviceRow {
  doc: string;
  seen_at: string | null;
}

export class SqliteDevices implements DeviceRepository {
  private readonly byId;
  private readonly all;
  private readonly upsert;
  private readonly remove;
  private readonly seen;

  constructor(private readonly ctx: SqliteContext) {
    const { db } = ctx;
    this.byId = db.prepare<[string], DeviceRow>('SELECT doc, seen_at FROM devices WHERE id = ?');
    this.all = db.prepare<[], DeviceRow>('SELECT doc, seen_at FROM devices ORDER BY id');
    this.seen = db.prepare<[string, string], DeviceRow>(
      'UPDATE devices SET seen_at = ? WHERE id = ? RETURNING doc, seen_at',
    );
    this.upsert = db.prepare(
      'INSERT INTO devices (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
    );
    this.remove = db.prepare('DELETE FROM devices WHERE id = ?');
  }

  private decode(row: DeviceRow | undefined): Device | undefined {
    return row ? withSeenAt(decodeRecord(deviceSchema, 'device', row.doc), row.seen_at) : undefined;
  }

  private read(id: string): Device | undefined {
    return this.decode(this.byId.get(id));
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
    return this.all.all().map((row) => this.decode(row) as Device);
  }

  async touch(id: string, lastSeenAt: string): Promise<Device | undefined> {
    return this.decode(this.seen.get(lastSeenAt, id));
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
