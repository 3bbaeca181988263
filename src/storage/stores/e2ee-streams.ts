import { eq, sql } from "drizzle-orm";
import type { Database, Db } from "../database.ts";

/** The e2ee streams whose /sync positions are autoincrement ids of their tables. */
export type E2eeStream = "to_device" | "device_lists";

/**
 * Takes the stream's row lock in `stream_positions` for the rest of the caller's
 * transaction, before any row of the stream is inserted. PostgreSQL hands out sequence
 * values before commit; serialising writers makes ids commit in order, so a reader
 * never sees id n+1 while n is still in flight (and, for to-device, never acknowledges
 * and deletes n unseen). SQLite transactions are serialised anyway.
 */
export async function lockStream(database: Database, tx: Db, stream: E2eeStream): Promise<void> {
  const t = database.tables.streamPositions;
  await tx
    .insert(t)
    .values({ stream, position: 0 })
    .onConflictDoUpdate({ target: t.stream, set: { position: sql`${t.position}` } });
}

/** Publishes `position` (the highest id just inserted) as the stream's current position. */
export async function advanceStream(database: Database, tx: Db, stream: E2eeStream, position: number): Promise<void> {
  const t = database.tables.streamPositions;
  await tx.update(t).set({ position }).where(eq(t.stream, stream));
}

/** The highest committed position of the stream; 0 before anything was written. */
export async function currentStreamPosition(database: Database, stream: E2eeStream): Promise<number> {
  const t = database.tables.streamPositions;
  const rows = await database.db.select({ position: t.position }).from(t).where(eq(t.stream, stream)).limit(1);
  return rows[0] ? Number(rows[0].position) : 0;
}
