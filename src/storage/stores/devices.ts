import { and, eq } from "drizzle-orm";
import type { Database } from "../database.ts";

export type DeviceRow = typeof import("../schema/accounts.ts").devices.$inferSelect;

export class DevicesStore {
  constructor(private readonly database: Database) {}

  /** Creates the device, or keeps the existing one (a login may reuse a device id). */
  async upsert(userId: string, deviceId: string, displayName: string | null, nowMs: number): Promise<void> {
    const t = this.database.tables.devices;
    await this.database.transaction("store_device", (tx) =>
      tx
        .insert(t)
        .values({ userId, deviceId, displayName, createdTs: nowMs })
        .onConflictDoNothing({ target: [t.userId, t.deviceId] }),
    );
  }

  async get(userId: string, deviceId: string): Promise<DeviceRow | undefined> {
    const { db, tables } = this.database;
    const t = tables.devices;
    const rows = await db.select().from(t).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId))).limit(1);
    return rows[0];
  }

  async listForUser(userId: string): Promise<DeviceRow[]> {
    const { db, tables } = this.database;
    return db.select().from(tables.devices).where(eq(tables.devices.userId, userId));
  }
}
