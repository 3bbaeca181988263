import { and, asc, eq, exists, gte, inArray, lt, notExists, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";
import { deleteBatch } from "./batched-delete.ts";

/** A default push outcome row as the read-based prune looks at it. */
export interface PushDefaultSummary {
  eventId: string;
  streamOrdering: number;
  threadId: string;
  sender: string;
  highlight: boolean;
  ts: number;
}

const CHUNK = 500;
const READ_RECEIPT_TYPES = ["m.read", "m.read.private"];

/**
 * Deletes of old push outcomes (event_push_defaults, event_push_actions); the
 * rules of what may go are in src/push/retention.ts. Every delete runs in
 * batches of its own short transaction, oldest events first, as Synapse's
 * rotation does, so a big backlog never holds the database for long.
 */
export class PushRetentionStore {
  constructor(private readonly database: Database) {}

  /** Default rows that did not highlight, processed before `beforeTs`. */
  async deleteOldDefaults(beforeTs: number, batch: number): Promise<number> {
    const d = this.database.tables.eventPushDefaults;
    const bound = await this.#defaultsBound(beforeTs);
    return this.#batched("prune_push_defaults_age", d, and(lt(d.streamOrdering, bound), eq(d.highlight, false), lt(d.ts, beforeTs))!, batch);
  }

  /**
   * The position of the first default row written at or after `beforeTs` (past every row
   * when there is none): rows are written in position order with the clock's time, so the
   * older ones lie below it, and the age prunes read that range by primary key instead of
   * through an index on ts (which would cost every send a page). The scan runs from the
   * oldest row to the first new one: over rows the prune is about to take.
   */
  async #defaultsBound(beforeTs: number): Promise<number> {
    const d = this.database.tables.eventPushDefaults;
    const [edge] = await this.database.db
      .select({ so: d.streamOrdering })
      .from(d)
      .where(gte(d.ts, beforeTs))
      .orderBy(asc(d.streamOrdering))
      .limit(1);
    return edge ? Number(edge.so) : Number.MAX_SAFE_INTEGER;
  }

  /**
   * Per-user rows that did not highlight, processed before `beforeTs`, whose
   * event has no default row left (while it has, the row is an exception to it
   * and must stay, or the user would fall back to the default outcome).
   */
  deleteOldExplicit(beforeTs: number, batch: number): Promise<number> {
    const e = this.database.tables.eventPushActions;
    return this.#batched("prune_push_actions_age", e, and(eq(e.highlight, false), lt(e.ts, beforeTs), this.#noDefault())!, batch);
  }

  /**
   * Per-user rows their user has read (a read receipt at or after the event,
   * unthreaded or in the event's thread): those that did not highlight once
   * processed before `plainBeforeTs`, highlights once before `highlightBeforeTs`.
   * Rows that are exceptions to a remaining default row stay.
   */
  deleteReadExplicit(plainBeforeTs: number, highlightBeforeTs: number, batch: number): Promise<number> {
    const { eventPushActions: e, receipts: r } = this.database.tables;
    const read = exists(
      this.database.db
        .select({ one: sql`1` })
        .from(r)
        .where(
          and(
            eq(r.roomId, e.roomId),
            inArray(r.receiptType, READ_RECEIPT_TYPES),
            eq(r.userId, e.userId),
            or(eq(r.threadId, ""), eq(r.threadId, e.threadId)),
            gte(r.eventStreamOrdering, e.streamOrdering),
          ),
        ),
    );
    const old = or(and(eq(e.highlight, false), lt(e.ts, plainBeforeTs)), lt(e.ts, highlightBeforeTs))!;
    return this.#batched("prune_push_actions_read", e, and(old, this.#noDefault(), read)!, batch);
  }

  /** Rooms with default rows processed before `beforeTs`. */
  async roomsWithDefaultsBefore(beforeTs: number): Promise<string[]> {
    const d = this.database.tables.eventPushDefaults;
    const bound = await this.#defaultsBound(beforeTs);
    const rows = await this.database.db.selectDistinct({ roomId: d.roomId }).from(d).where(and(lt(d.streamOrdering, bound), lt(d.ts, beforeTs)));
    return rows.map((r) => r.roomId);
  }

  /** A room's oldest default rows processed before `beforeTs`. */
  async defaultsBefore(roomId: string, beforeTs: number, limit: number): Promise<PushDefaultSummary[]> {
    const { eventPushDefaults: d, events: ev } = this.database.tables;
    // Through the room's events: the rows have no index by room (see eventPushDefaults).
    const rows = await this.database.db
      .select({ eventId: d.eventId, streamOrdering: d.streamOrdering, threadId: d.threadId, sender: d.sender, highlight: d.highlight, ts: d.ts })
      .from(ev)
      .innerJoin(d, eq(d.streamOrdering, ev.streamOrdering))
      .where(and(eq(ev.roomId, roomId), lt(d.ts, beforeTs)))
      .orderBy(asc(ev.streamOrdering))
      .limit(limit);
    return rows.map((r) => ({ ...r, streamOrdering: Number(r.streamOrdering), ts: Number(r.ts) }));
  }

  /** Deletes the default rows of the events at these stream positions. */
  async deleteDefaults(streamOrderings: readonly number[]): Promise<number> {
    const d = this.database.tables.eventPushDefaults;
    let n = 0;
    for (let i = 0; i < streamOrderings.length; i += CHUNK) {
      const chunk = streamOrderings.slice(i, i + CHUNK);
      n += await this.database.transaction("prune_push_defaults_read", async (tx) =>
        (await tx.delete(d).where(inArray(d.streamOrdering, chunk)).returning({ so: d.streamOrdering })).length,
      );
    }
    return n;
  }

  /** No default row exists for the per-user row's event. */
  #noDefault(): SQL {
    const { eventPushActions: e, eventPushDefaults: d } = this.database.tables;
    return notExists(this.database.db.select({ one: sql`1` }).from(d).where(eq(d.streamOrdering, e.streamOrdering)));
  }

  /** Deletes the rows matching `where`, `batch` at a time, oldest stream position first. */
  async #batched(
    name: string,
    table: typeof this.database.tables.eventPushDefaults | typeof this.database.tables.eventPushActions,
    where: SQL,
    batch: number,
  ): Promise<number> {
    let total = 0;
    for (let more = true; more; ) {
      const round = await deleteBatch(this.database, name, table, table.streamOrdering, where, batch);
      total += round.deleted;
      more = round.more;
    }
    return total;
  }

}
