import { and, eq, inArray, ne } from "drizzle-orm";
import type { Database, Db } from "../database.ts";
import { TOKEN_TABLES } from "./access-tokens.ts";

export type DeviceRow = typeof import("../schema/accounts.ts").devices.$inferSelect;

/** Keeps IN (...) lists well under every driver's parameter limit. */
const CHUNK = 500;

export class DevicesStore {
  constructor(private readonly database: Database) {}

  /** Creates the device, or keeps the existing one (a login may reuse a device id). Returns true when created. */
  async upsert(
    userId: string,
    deviceId: string,
    displayName: string | null,
    nowMs: number,
    seen?: { ip: string | null; userAgent: string | null },
  ): Promise<boolean> {
    const t = this.database.tables.devices;
    return this.database.transaction("store_device", async (tx) => {
      const existing = await tx.select({ id: t.deviceId }).from(t).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId))).limit(1);
      if (existing.length > 0) {
        if (seen) await tx.update(t).set({ lastSeenTs: nowMs, lastSeenIp: seen.ip, lastSeenUserAgent: seen.userAgent }).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId)));
        return false;
      }
      await tx.insert(t).values({
        userId,
        deviceId,
        displayName,
        createdTs: nowMs,
        lastSeenTs: seen ? nowMs : null,
        lastSeenIp: seen?.ip ?? null,
        lastSeenUserAgent: seen?.userAgent ?? null,
      });
      return true;
    });
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

  /** Returns false when the device does not exist. */
  async setDisplayName(userId: string, deviceId: string, displayName: string | null): Promise<boolean> {
    const t = this.database.tables.devices;
    return this.database.transaction("update_device", async (tx) => {
      const found = await tx.select({ id: t.deviceId }).from(t).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId))).limit(1);
      if (found.length === 0) return false;
      await tx.update(t).set({ displayName }).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId)));
      return true;
    });
  }

  /** Deletes the devices with their access and refresh tokens; returns the ids that existed. */
  async deleteDevices(userId: string, deviceIds: string[]): Promise<string[]> {
    if (deviceIds.length === 0) return [];
    return this.#write(() =>
      this.database.transaction("delete_devices", async (tx) => {
        const deleted: string[] = [];
        for (let i = 0; i < deviceIds.length; i += CHUNK) {
          deleted.push(...(await this.#deleteChunk(tx, userId, [...new Set(deviceIds.slice(i, i + CHUNK))])));
        }
        return deleted;
      }),
    );
  }

  /** Deletes every device of the user but `exceptDeviceId`, with the tokens of those devices. */
  async deleteAllForUser(userId: string, exceptDeviceId: string | null): Promise<string[]> {
    const d = this.database.tables.devices;
    return this.#write(() =>
      this.database.transaction("delete_all_devices", async (tx) => {
        const rows = await tx
          .select({ id: d.deviceId })
          .from(d)
          .where(exceptDeviceId === null ? eq(d.userId, userId) : and(eq(d.userId, userId), ne(d.deviceId, exceptDeviceId)));
        const ids = rows.map((row) => row.id);
        for (let i = 0; i < ids.length; i += CHUNK) await this.#deleteChunk(tx, userId, ids.slice(i, i + CHUNK));
        return ids;
      }),
    );
  }

  /** Deleting devices deletes their access tokens: the token cache must hear of it. */
  #write<T>(write: () => Promise<T>): Promise<T> {
    return this.database.generations.around(TOKEN_TABLES, write);
  }

  async #deleteChunk(tx: Db, userId: string, ids: string[]): Promise<string[]> {
    const { devices: d, accessTokens: a, refreshTokens: r } = this.database.tables;
    const existing = await tx.select({ id: d.deviceId }).from(d).where(and(eq(d.userId, userId), inArray(d.deviceId, ids)));
    await tx.delete(a).where(and(eq(a.userId, userId), inArray(a.deviceId, ids)));
    await tx.delete(r).where(and(eq(r.userId, userId), inArray(r.deviceId, ids)));
    await tx.delete(d).where(and(eq(d.userId, userId), inArray(d.deviceId, ids)));
    return existing.map((row) => row.id);
  }
}
