import { lt } from "drizzle-orm";
import type { Database } from "../database.ts";
import { deleteBatch } from "./batched-delete.ts";

/** Upkeep of event_txn_ids (written with each event, read on the send path: see event-persist.ts, events.ts). */
export class EventTxnIdsStore {
  constructor(private readonly database: Database) {}

  /**
   * Deletes the oldest transaction ids created before `beforeTs`, about `limit` of them
   * (ids sharing the last created_ts go together), in one transaction. Returns how many.
   */
  async deleteOldest(beforeTs: number, limit: number): Promise<number> {
    const t = this.database.tables.eventTxnIds;
    return (await deleteBatch(this.database, "prune_event_txn_ids", t, t.createdTs, lt(t.createdTs, beforeTs), limit)).deleted;
  }
}
