import { and, asc, lt, lte } from "drizzle-orm";
import type { Database } from "../database.ts";

/** Upkeep of event_txn_ids (written with each event, read on the send path: see event-persist.ts, events.ts). */
export class EventTxnIdsStore {
  constructor(private readonly database: Database) {}

  /**
   * Deletes the oldest transaction ids created before `beforeTs`, about `limit` of them
   * (ids sharing the last created_ts go together), in one transaction. Returns how many.
   */
  async deleteOldest(beforeTs: number, limit: number): Promise<number> {
    const t = this.database.tables.eventTxnIds;
    const old = lt(t.createdTs, beforeTs);
    const [edge] = await this.database.db
      .select({ ts: t.createdTs })
      .from(t)
      .where(old)
      .orderBy(asc(t.createdTs))
      .limit(1)
      .offset(limit - 1);
    const where = edge ? and(old, lte(t.createdTs, Number(edge.ts)))! : old;
    return this.database.transaction("prune_event_txn_ids", async (tx) => (await tx.delete(t).where(where).returning({ txnId: t.txnId })).length);
  }
}
