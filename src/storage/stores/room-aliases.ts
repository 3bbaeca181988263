import { asc, eq } from "drizzle-orm";
import type { Database } from "../database.ts";

export type RoomAliasRow = typeof import("../schema/directory.ts").roomAliases.$inferSelect;

/** Local room aliases (the directory's alias → room mappings). */
export class RoomAliasesStore {
  constructor(private readonly database: Database) {}

  async get(alias: string): Promise<RoomAliasRow | undefined> {
    const t = this.database.tables.roomAliases;
    const rows = await this.database.db.select().from(t).where(eq(t.alias, alias)).limit(1);
    return rows[0];
  }

  /** Creates the mapping; false when the alias already exists (it is left unchanged). */
  async create(alias: string, roomId: string, creator: string, nowMs: number): Promise<boolean> {
    const t = this.database.tables.roomAliases;
    const rows = await this.database.transaction("create_room_alias", (tx) =>
      tx.insert(t).values({ alias, roomId, creator, createdTs: nowMs }).onConflictDoNothing().returning({ alias: t.alias }),
    );
    return rows.length > 0;
  }

  /** Deletes the mapping; returns the room it pointed to, or undefined when there was none. */
  async delete(alias: string): Promise<string | undefined> {
    const t = this.database.tables.roomAliases;
    const rows = await this.database.transaction("delete_room_alias", (tx) =>
      tx.delete(t).where(eq(t.alias, alias)).returning({ roomId: t.roomId }),
    );
    return rows[0]?.roomId;
  }

  async forRoom(roomId: string): Promise<string[]> {
    const t = this.database.tables.roomAliases;
    const rows = await this.database.db.select({ alias: t.alias }).from(t).where(eq(t.roomId, roomId)).orderBy(asc(t.alias));
    return rows.map((r) => r.alias);
  }

  /**
   * Points every alias of `fromRoomId` at `toRoomId` (room upgrade, shutdown); with
   * `creator`, the mover becomes their creator, as Synapse does. Returns the aliases moved.
   */
  async repoint(fromRoomId: string, toRoomId: string, creator?: string): Promise<string[]> {
    const t = this.database.tables.roomAliases;
    return this.database.transaction("update_aliases_for_room", async (tx) => {
      const rows = await tx.select({ alias: t.alias }).from(t).where(eq(t.roomId, fromRoomId)).orderBy(asc(t.alias));
      if (rows.length === 0) return [];
      await tx
        .update(t)
        .set(creator === undefined ? { roomId: toRoomId } : { roomId: toRoomId, creator })
        .where(eq(t.roomId, fromRoomId));
      return rows.map((r) => r.alias);
    });
  }
}
