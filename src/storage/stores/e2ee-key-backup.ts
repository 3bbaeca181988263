import { and, desc, eq, sql } from "drizzle-orm";
import type { Database, Db } from "../database.ts";

type Json = Record<string, unknown>;

export interface BackupVersion {
  userId: string;
  version: number;
  algorithm: string;
  authData: Json;
  etag: number;
  deleted: boolean;
}

export interface RoomKeyData {
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  sessionData: Json;
}

export interface StoredRoomKey extends RoomKeyData {
  roomId: string;
  sessionId: string;
}

/** Server-side key backup: versions per user and the session keys stored in each. */
export class E2eeKeyBackupStore {
  constructor(private readonly database: Database) {}

  /** Creates the user's next version (one above any version ever created) and returns it. */
  async createVersion(userId: string, algorithm: string, authData: Json): Promise<number> {
    const t = this.database.tables.e2eRoomKeysVersions;
    return this.database.transaction("create_e2e_room_keys_version", async (tx) => {
      // A concurrent create may take the same number; try the next one then.
      for (;;) {
        const last = await tx
          .select({ version: t.version })
          .from(t)
          .where(eq(t.userId, userId))
          .orderBy(desc(t.version))
          .limit(1);
        const version = (last[0] ? Number(last[0].version) : 0) + 1;
        const inserted = await tx
          .insert(t)
          .values({ userId, version, algorithm, authData, etag: 0, deleted: false })
          .onConflictDoNothing()
          .returning({ version: t.version });
        if (inserted.length > 0) return version;
      }
    });
  }

  /** The newest version that is not deleted. */
  async currentVersion(userId: string): Promise<BackupVersion | undefined> {
    const { db, tables } = this.database;
    const t = tables.e2eRoomKeysVersions;
    const rows = await db
      .select()
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.deleted, false)))
      .orderBy(desc(t.version))
      .limit(1);
    return rows[0] && toVersion(rows[0]);
  }

  /** The version, deleted or not. */
  async version(userId: string, version: number): Promise<BackupVersion | undefined> {
    const { db, tables } = this.database;
    const t = tables.e2eRoomKeysVersions;
    const rows = await db
      .select()
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.version, version)))
      .limit(1);
    return rows[0] && toVersion(rows[0]);
  }

  async updateAuthData(userId: string, version: number, authData: Json): Promise<void> {
    const t = this.database.tables.e2eRoomKeysVersions;
    await this.database.transaction("update_e2e_room_keys_version", (tx) =>
      tx.update(t).set({ authData }).where(and(eq(t.userId, userId), eq(t.version, version))),
    );
  }

  /** Marks the version deleted and drops its keys. */
  async deleteVersion(userId: string, version: number): Promise<void> {
    const { tables } = this.database;
    await this.database.transaction("delete_e2e_room_keys_version", async (tx) => {
      const k = tables.e2eRoomKeys;
      const v = tables.e2eRoomKeysVersions;
      await tx.delete(k).where(and(eq(k.userId, userId), eq(k.version, version)));
      await tx.update(v).set({ deleted: true }).where(and(eq(v.userId, userId), eq(v.version, version)));
    });
  }

  /** Drops every backup version and key of the user (deactivation). */
  async deleteAllForUser(userId: string): Promise<void> {
    const { tables } = this.database;
    await this.database.transaction("delete_e2e_room_keys_for_user", async (tx) => {
      await tx.delete(tables.e2eRoomKeys).where(eq(tables.e2eRoomKeys.userId, userId));
      await tx.delete(tables.e2eRoomKeysVersions).where(eq(tables.e2eRoomKeysVersions.userId, userId));
    });
  }

  async countKeys(userId: string, version: number): Promise<number> {
    const { db, tables } = this.database;
    const k = tables.e2eRoomKeys;
    const rows = await db
      .select({ n: sql<number>`count(*)` })
      .from(k)
      .where(and(eq(k.userId, userId), eq(k.version, version)));
    return Number(rows[0]?.n ?? 0);
  }

  async keys(userId: string, version: number, roomId?: string, sessionId?: string): Promise<StoredRoomKey[]> {
    const { db, tables } = this.database;
    const k = tables.e2eRoomKeys;
    const conds = [eq(k.userId, userId), eq(k.version, version)];
    if (roomId !== undefined) conds.push(eq(k.roomId, roomId));
    if (sessionId !== undefined) conds.push(eq(k.sessionId, sessionId));
    return db
      .select({
        roomId: k.roomId,
        sessionId: k.sessionId,
        firstMessageIndex: k.firstMessageIndex,
        forwardedCount: k.forwardedCount,
        isVerified: k.isVerified,
        sessionData: k.sessionData,
      })
      .from(k)
      .where(and(...conds));
  }

  /**
   * Stores keys, each only where it is better than the stored one (the spec's order:
   * verified beats unverified, then the lower first_message_index, then the lower
   * forwarded_count); the rule runs inside the upsert, so concurrent uploads cannot
   * undo each other. Bumps the etag when anything changed.
   */
  async putKeys(userId: string, version: number, keys: StoredRoomKey[]): Promise<{ etag: number; count: number }> {
    const { tables } = this.database;
    const k = tables.e2eRoomKeys;
    const v = tables.e2eRoomKeysVersions;
    return this.database.transaction("put_e2e_room_keys", async (tx) => {
      let changed = false;
      for (const key of keys) {
        const set = {
          firstMessageIndex: key.firstMessageIndex,
          forwardedCount: key.forwardedCount,
          isVerified: key.isVerified,
          sessionData: key.sessionData,
        };
        const written = await tx
          .insert(k)
          .values({ userId, version, roomId: key.roomId, sessionId: key.sessionId, ...set })
          .onConflictDoUpdate({
            target: [k.userId, k.version, k.roomId, k.sessionId],
            set,
            setWhere: sql`(excluded.is_verified AND NOT ${k.isVerified})
              OR (excluded.is_verified = ${k.isVerified} AND (excluded.first_message_index < ${k.firstMessageIndex}
                OR (excluded.first_message_index = ${k.firstMessageIndex} AND excluded.forwarded_count < ${k.forwardedCount})))`,
          })
          .returning({ sessionId: k.sessionId });
        if (written.length > 0) changed = true;
      }
      return this.#finishChange(tx, userId, version, changed);
    });
  }

  /** Deletes keys of the version (all, a room's, or one session's); bumps the etag. */
  async deleteKeys(userId: string, version: number, roomId?: string, sessionId?: string): Promise<{ etag: number; count: number }> {
    const k = this.database.tables.e2eRoomKeys;
    return this.database.transaction("delete_e2e_room_keys", async (tx) => {
      const conds = [eq(k.userId, userId), eq(k.version, version)];
      if (roomId !== undefined) conds.push(eq(k.roomId, roomId));
      if (sessionId !== undefined) conds.push(eq(k.sessionId, sessionId));
      await tx.delete(k).where(and(...conds));
      return this.#finishChange(tx, userId, version, true);
    });
  }

  async #finishChange(
    tx: Db,
    userId: string,
    version: number,
    bump: boolean,
  ): Promise<{ etag: number; count: number }> {
    const { tables } = this.database;
    const v = tables.e2eRoomKeysVersions;
    const k = tables.e2eRoomKeys;
    const where = and(eq(v.userId, userId), eq(v.version, version));
    const etagRows = bump
      ? await tx.update(v).set({ etag: sql`${v.etag} + 1` }).where(where).returning({ etag: v.etag })
      : await tx.select({ etag: v.etag }).from(v).where(where);
    const countRows = await tx
      .select({ n: sql<number>`count(*)` })
      .from(k)
      .where(and(eq(k.userId, userId), eq(k.version, version)));
    return { etag: Number(etagRows[0]?.etag ?? 0), count: Number(countRows[0]?.n ?? 0) };
  }
}

function toVersion(row: { userId: string; version: number; algorithm: string; authData: Json; etag: number; deleted: boolean }): BackupVersion {
  return { ...row, version: Number(row.version), etag: Number(row.etag) };
}
