import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

type Schema = typeof import("../schema/accounts.ts");
export type AccountDataRow = Schema["accountData"]["$inferSelect"];

/** The room id stored for global account data. */
export const GLOBAL_ROOM = "";

export class AccountDataStore {
  constructor(private readonly database: Database) {}

  /** Replaces the content and returns its new stream position. */
  async put(userId: string, roomId: string, type: string, content: Record<string, unknown>): Promise<number> {
    const t = this.database.tables.accountData;
    const positions = this.database.tables.streamPositions;
    return this.database.transaction("add_account_data", async (tx) => {
      // Serialise writers (a row lock held to commit on PostgreSQL) before taking an id
      // from the sequence, so ids become visible in order and sync never skips one.
      await tx
        .insert(positions)
        .values({ stream: "account_data_writer", position: 1 })
        .onConflictDoUpdate({ target: positions.stream, set: { position: sql`${positions.position} + 1` } });
      await tx.delete(t).where(and(eq(t.userId, userId), eq(t.roomId, roomId), eq(t.type, type)));
      const rows = await tx.insert(t).values({ userId, roomId, type, content }).returning({ streamId: t.streamId });
      return rows[0]!.streamId;
    });
  }

  async get(userId: string, roomId: string, type: string): Promise<Record<string, unknown> | undefined> {
    const { db, tables } = this.database;
    const t = tables.accountData;
    const rows = await db
      .select({ content: t.content })
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.roomId, roomId), eq(t.type, type)))
      .limit(1);
    return rows[0]?.content;
  }

  /** All of a user's account data, global and per room, oldest change first. */
  async listForUser(userId: string): Promise<AccountDataRow[]> {
    const { db, tables } = this.database;
    const t = tables.accountData;
    return db.select().from(t).where(eq(t.userId, userId)).orderBy(asc(t.streamId));
  }

  /** What changed after `sinceStreamId`, for incremental sync. */
  async changedSince(userId: string, sinceStreamId: number): Promise<AccountDataRow[]> {
    const { db, tables } = this.database;
    const t = tables.accountData;
    return db
      .select()
      .from(t)
      .where(and(eq(t.userId, userId), gt(t.streamId, sinceStreamId)))
      .orderBy(asc(t.streamId));
  }

  /**
   * The current account-data stream position (0 before the first write). Read
   * from the id sequence, not max(stream_id), so purging rows never moves it back.
   */
  async maxStreamId(): Promise<number> {
    const rows =
      this.database.dialect === "sqlite"
        ? await this.database.queryRaw<{ pos: number | string }>("SELECT seq AS pos FROM sqlite_sequence WHERE name = 'account_data'")
        : await this.database.queryRaw<{ pos: number | string }>(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS pos FROM account_data_stream_id_seq",
          );
    return Number(rows[0]?.pos ?? 0);
  }

  async deleteForUser(userId: string): Promise<void> {
    const t = this.database.tables.accountData;
    await this.database.transaction("purge_account_data_for_user", (tx) => tx.delete(t).where(eq(t.userId, userId)));
  }
}
