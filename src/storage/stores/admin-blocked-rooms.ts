import { eq } from "drizzle-orm";
import type { Database } from "../database.ts";

export type BlockedRoomRow = typeof import("../schema/admin.ts").blockedRooms.$inferSelect;

/** Rooms blocked by an admin: nobody here may join them or be invited to them. */
export class BlockedRoomsStore {
  constructor(private readonly database: Database) {}

  async get(roomId: string): Promise<BlockedRoomRow | undefined> {
    const t = this.database.tables.blockedRooms;
    const rows = await this.database.db.select().from(t).where(eq(t.roomId, roomId)).limit(1);
    return rows[0];
  }

  async isBlocked(roomId: string): Promise<boolean> {
    return (await this.get(roomId)) !== undefined;
  }

  /** Keeps the first blocker when the room is already blocked. */
  async block(roomId: string, userId: string, nowMs: number): Promise<void> {
    const t = this.database.tables.blockedRooms;
    await this.database.transaction("block_room", (tx) => tx.insert(t).values({ roomId, userId, createdTs: nowMs }).onConflictDoNothing());
  }

  async unblock(roomId: string): Promise<void> {
    const t = this.database.tables.blockedRooms;
    await this.database.transaction("unblock_room", (tx) => tx.delete(t).where(eq(t.roomId, roomId)));
  }
}
