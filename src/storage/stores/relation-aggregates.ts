import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { EventRow } from "./events.ts";
import { SqlExec } from "./sql-exec.ts";

const CHUNK = 500;

/** Children of one parent event by one relation type. */
export interface RelationGroup {
  relatesTo: string;
  relType: string;
  count: number;
  /** Stream ordering of the newest child. */
  latestStream: number;
  /** Whether the user asked about sent one of the children. */
  userSent: boolean;
}

/**
 * The reads behind bundled aggregations (`unsigned.m.relations`), for a page of parent
 * events at once. Without a room they go by the relates_to index (a relation type in
 * WHERE would steer SQLite to scan the room-leading index instead; in HAVING it still
 * narrows the index search); with a room, by the (room, rel_type, relates_to) index. A
 * redacted child has no relation columns left (the redaction clears them). Sorting is
 * done here, not in SQL: an ORDER BY stream_ordering makes SQLite pick the room's
 * stream index and scan the whole room.
 */
export class RelationAggregatesStore {
  private readonly sql: SqlExec;

  constructor(private readonly database: Database) {
    this.sql = new SqlExec(database);
  }

  /**
   * Per parent and relation type: how many children, the newest, whether `userId` sent
   * one; parents of several rooms at once (a /sync timeline per room), each counting
   * only children in its own room.
   */
  async groups(parentsByRoom: ReadonlyMap<string, readonly string[]>, relTypes: readonly string[], userId: string | undefined): Promise<Map<string, RelationGroup[]>> {
    const out = new Map<string, RelationGroup[]>();
    const roomOf = new Map<string, string>();
    for (const [roomId, parents] of parentsByRoom) {
      out.set(roomId, []);
      for (const p of parents) roomOf.set(p, roomId);
    }
    const parents = [...roomOf.keys()];
    // Plain SQL: this runs for every page of events a client reads, and building the
    // query with the builder costs more than running it.
    for (let i = 0; i < parents.length; i += CHUNK) {
      const chunk = parents.slice(i, i + CHUNK);
      const rows = await this.sql.rows<{ room_id: string; relates_to: string; rel_type: string; n: number | string; latest: number | string; mine: number | string }>(
        this.database.db,
        `SELECT room_id, relates_to, rel_type, COUNT(*) AS n, MAX(stream_ordering) AS latest,
           MAX(CASE WHEN sender = ? THEN 1 ELSE 0 END) AS mine
         FROM events WHERE relates_to IN (${chunk.map(() => "?").join(", ")})
         GROUP BY relates_to, rel_type, room_id HAVING rel_type IN (${relTypes.map(() => "?").join(", ")})`,
        [userId ?? "", ...chunk, ...relTypes],
      );
      for (const r of rows) {
        // A child in another room than its parent relates to nothing.
        if (roomOf.get(r.relates_to) !== r.room_id) continue;
        out.get(r.room_id)!.push({ relatesTo: r.relates_to, relType: r.rel_type, count: Number(r.n), latestStream: Number(r.latest), userSent: Number(r.mine) === 1 });
      }
    }
    return out;
  }

  /** Full rows of the children of `parents` by `relType`, oldest first. */
  async children(roomId: string, parents: readonly string[], relType: string): Promise<EventRow[]> {
    const e = this.database.tables.events;
    const out: EventRow[] = [];
    for (let i = 0; i < parents.length; i += CHUNK) {
      const rows = await this.database.db
        .select()
        .from(e)
        .where(and(eq(e.roomId, roomId), eq(e.relType, relType), inArray(e.relatesTo, parents.slice(i, i + CHUNK))));
      out.push(...rows);
    }
    return out.sort((a, b) => a.streamOrdering - b.streamOrdering);
  }

  /** Ids of the children of `parents` by `relType` (for lists that need no content), oldest first. */
  async childIds(roomId: string, parents: readonly string[], relType: string): Promise<Array<{ eventId: string; relatesTo: string }>> {
    const e = this.database.tables.events;
    const out: Array<{ eventId: string; relatesTo: string; stream: number }> = [];
    for (let i = 0; i < parents.length; i += CHUNK) {
      const rows = await this.database.db
        .select({ eventId: e.eventId, relatesTo: e.relatesTo, stream: e.streamOrdering })
        .from(e)
        .where(and(eq(e.roomId, roomId), eq(e.relType, relType), inArray(e.relatesTo, parents.slice(i, i + CHUNK))));
      for (const r of rows) if (r.relatesTo !== null) out.push({ eventId: r.eventId, relatesTo: r.relatesTo, stream: Number(r.stream) });
    }
    return out.sort((a, b) => a.stream - b.stream).map(({ eventId, relatesTo }) => ({ eventId, relatesTo }));
  }

  /** Events by stream ordering (the newest children `groups` names). */
  async byStream(streams: readonly number[]): Promise<EventRow[]> {
    const e = this.database.tables.events;
    const out: EventRow[] = [];
    for (let i = 0; i < streams.length; i += CHUNK) {
      out.push(...(await this.database.db.select().from(e).where(inArray(e.streamOrdering, streams.slice(i, i + CHUNK)))));
    }
    return out;
  }
}
