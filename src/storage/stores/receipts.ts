import { and, eq, gt, inArray } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { StreamPositionsStore } from "./stream-positions.ts";

export interface ReceiptRow {
  roomId: string;
  receiptType: string;
  userId: string;
  /** "" for an unthreaded receipt. */
  threadId: string;
  eventId: string;
  eventStreamOrdering: number;
  data: Record<string, unknown>;
  streamId: number;
}

export type NewReceipt = Omit<ReceiptRow, "streamId">;

export const RECEIPTS_STREAM = "receipts";
const CHUNK = 500;

/** The latest receipt of each (room, type, user, thread), each on the receipts stream. */
export class ReceiptsStore {
  constructor(
    private readonly database: Database,
    private readonly positions: StreamPositionsStore,
  ) {}

  /**
   * Stores a receipt unless the user already has one of that type and thread
   * at a later event (receipts only move forward). Returns the new stream
   * position, or undefined when the receipt was ignored.
   */
  async upsert(r: NewReceipt): Promise<number | undefined> {
    const t = this.database.tables.receipts;
    return this.database.transaction("insert_receipt", async (tx) => {
      const position = await this.positions.next(tx, RECEIPTS_STREAM);
      const key = and(eq(t.roomId, r.roomId), eq(t.receiptType, r.receiptType), eq(t.userId, r.userId), eq(t.threadId, r.threadId));
      const old = await tx.select({ at: t.eventStreamOrdering }).from(t).where(key).limit(1);
      if (old[0] && Number(old[0].at) >= r.eventStreamOrdering) {
        // Rolling the transaction back also returns the unused position.
        throw new IgnoredReceipt();
      }
      await tx
        .insert(t)
        .values({ ...r, streamId: position })
        .onConflictDoUpdate({
          target: [t.roomId, t.receiptType, t.userId, t.threadId],
          set: { eventId: r.eventId, eventStreamOrdering: r.eventStreamOrdering, data: r.data, streamId: position },
        });
      return position;
    }).catch((err) => {
      if (err instanceof IgnoredReceipt) return undefined;
      throw err;
    });
  }

  /** Receipts in `roomIds` changed after `since` (all of them when since is 0). */
  async inRooms(roomIds: readonly string[], since = 0): Promise<ReceiptRow[]> {
    const { db, tables } = this.database;
    const t = tables.receipts;
    const out: ReceiptRow[] = [];
    for (let i = 0; i < roomIds.length; i += CHUNK) {
      const chunk = roomIds.slice(i, i + CHUNK);
      const where = since > 0 ? and(inArray(t.roomId, chunk), gt(t.streamId, since)) : inArray(t.roomId, chunk);
      for (const row of await db.select().from(t).where(where)) out.push(normalise(row));
    }
    return out;
  }

  /** A user's read receipts (m.read and m.read.private) in some rooms. */
  async readReceiptsOf(userId: string, roomIds: readonly string[]): Promise<ReceiptRow[]> {
    const { db, tables } = this.database;
    const t = tables.receipts;
    const out: ReceiptRow[] = [];
    for (let i = 0; i < roomIds.length; i += CHUNK) {
      const chunk = roomIds.slice(i, i + CHUNK);
      const rows = await db
        .select()
        .from(t)
        .where(and(eq(t.userId, userId), inArray(t.roomId, chunk), inArray(t.receiptType, ["m.read", "m.read.private"])));
      for (const row of rows) out.push(normalise(row));
    }
    return out;
  }
}

class IgnoredReceipt extends Error {}

function normalise(row: ReceiptRow): ReceiptRow {
  return { ...row, eventStreamOrdering: Number(row.eventStreamOrdering), streamId: Number(row.streamId) };
}
