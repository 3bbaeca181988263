import { eq, sql } from "drizzle-orm";
import type { Database, Db } from "../database.ts";

/** The streams whose positions live in `stream_positions`. */
export type PersistedStream = "receipts" | "presence" | "account_data" | (string & {});

/**
 * Positions of named streams, handed out from one database row per stream.
 * `next` must be called inside the transaction that writes the stream's data:
 * on PostgreSQL the row lock it takes is held to commit, so positions become
 * visible in the order they were given out.
 */
export class StreamPositionsStore {
  constructor(private readonly database: Database) {}

  /** The next position of `stream`, within the caller's transaction `tx`. */
  async next(tx: Db, stream: PersistedStream): Promise<number> {
    const t = this.database.tables.streamPositions;
    const rows = await tx
      .insert(t)
      .values({ stream, position: 1 })
      .onConflictDoUpdate({ target: t.stream, set: { position: sql`${t.position} + 1` } })
      .returning({ position: t.position });
    return Number(rows[0]!.position);
  }

  /** The last position given out on `stream`, 0 when none was. */
  async current(stream: PersistedStream): Promise<number> {
    const t = this.database.tables.streamPositions;
    const rows = await this.database.db.select({ position: t.position }).from(t).where(eq(t.stream, stream)).limit(1);
    return rows[0] ? Number(rows[0].position) : 0;
  }

  /** Every stream's last position. */
  async all(): Promise<Map<string, number>> {
    const t = this.database.tables.streamPositions;
    const rows = await this.database.db.select().from(t);
    return new Map(rows.map((r) => [r.stream, Number(r.position)]));
  }
}
