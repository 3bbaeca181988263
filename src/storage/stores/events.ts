import { and, asc, desc, eq, gt, gte, inArray, isNotNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";
import { TxnLookups } from "./txn-lookups.ts";

export type EventRow = typeof import("../schema/rooms.ts").events.$inferSelect;

/** A point between events of a room's timeline: after the event at (depth, stream). */
export interface TopoPosition {
  depth: number;
  stream: number;
}

export interface PageQuery {
  roomId: string;
  dir: "b" | "f";
  /** Exclusive of later (b) or earlier (f) events; omitted = the room's end (b) or start (f). */
  from?: TopoPosition;
  /** Stop at this position. */
  to?: TopoPosition;
  limit: number;
}

/** Reads of stored events: by id, timeline pages, relations, threads. */
export class EventsStore {
  readonly #txns: TxnLookups;

  constructor(private readonly database: Database) {
    this.#txns = new TxnLookups(database);
  }

  async get(eventId: string): Promise<EventRow | undefined> {
    const { db, tables } = this.database;
    const rows = await db.select().from(tables.events).where(eq(tables.events.eventId, eventId)).limit(1);
    return rows[0];
  }

  async getMany(eventIds: readonly string[]): Promise<Map<string, EventRow>> {
    const out = new Map<string, EventRow>();
    const ids = [...new Set(eventIds)];
    const { db, tables } = this.database;
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db.select().from(tables.events).where(inArray(tables.events.eventId, ids.slice(i, i + 500)));
      for (const r of rows) out.set(r.eventId, r);
    }
    return out;
  }

  /**
   * One page of a room's timeline in topological order. Backwards: events at or before
   * `from` (the token is "after event (d, s)"), newest first; forwards: events after it.
   */
  async page(q: PageQuery): Promise<EventRow[]> {
    const e = this.database.tables.events;
    const conds: SQL[] = [eq(e.roomId, q.roomId)];
    const atOrBefore = (p: TopoPosition) =>
      or(lt(e.depth, p.depth), and(eq(e.depth, p.depth), lte(e.streamOrdering, p.stream)))!;
    const after = (p: TopoPosition) => or(gt(e.depth, p.depth), and(eq(e.depth, p.depth), gt(e.streamOrdering, p.stream)))!;
    if (q.dir === "b") {
      if (q.from) conds.push(atOrBefore(q.from));
      if (q.to) conds.push(after(q.to));
    } else {
      if (q.from) conds.push(after(q.from));
      if (q.to) conds.push(atOrBefore(q.to));
    }
    const order = q.dir === "b" ? [desc(e.depth), desc(e.streamOrdering)] : [asc(e.depth), asc(e.streamOrdering)];
    return this.database.db
      .select()
      .from(e)
      .where(and(...conds))
      .orderBy(...order)
      .limit(q.limit);
  }

  /** The room's last event at or before stream position `stream` (for stream tokens). */
  async lastAtOrBeforeStream(roomId: string, stream: number): Promise<EventRow | undefined> {
    const e = this.database.tables.events;
    const rows = await this.database.db
      .select()
      .from(e)
      .where(and(eq(e.roomId, roomId), lte(e.streamOrdering, stream)))
      .orderBy(desc(e.streamOrdering))
      .limit(1);
    return rows[0];
  }

  async latest(roomId: string): Promise<EventRow | undefined> {
    return this.lastAtOrBeforeStream(roomId, Number.MAX_SAFE_INTEGER);
  }

  /** The event closest to `ts` in direction `dir` (f: at or after, b: at or before). */
  async closestToTimestamp(roomId: string, ts: number, dir: "f" | "b", limit = 20): Promise<EventRow[]> {
    const e = this.database.tables.events;
    const cond = dir === "f" ? gte(e.originServerTs, ts) : lte(e.originServerTs, ts);
    const order = dir === "f" ? [asc(e.originServerTs), asc(e.streamOrdering)] : [desc(e.originServerTs), desc(e.streamOrdering)];
    return this.database.db
      .select()
      .from(e)
      .where(and(eq(e.roomId, roomId), cond))
      .orderBy(...order)
      .limit(limit);
  }

  /** Events relating to `eventId`, by stream order. `from` is exclusive. */
  async relations(q: {
    roomId: string;
    eventId: string;
    relType?: string;
    eventType?: string;
    dir: "b" | "f";
    from?: number;
    to?: number;
    limit: number;
  }): Promise<EventRow[]> {
    const e = this.database.tables.events;
    const conds: SQL[] = [eq(e.relatesTo, q.eventId), eq(e.roomId, q.roomId)];
    if (q.relType !== undefined) conds.push(eq(e.relType, q.relType));
    if (q.eventType !== undefined) conds.push(eq(e.type, q.eventType));
    if (q.from !== undefined) conds.push(q.dir === "b" ? lt(e.streamOrdering, q.from) : gt(e.streamOrdering, q.from));
    if (q.to !== undefined) conds.push(q.dir === "b" ? gte(e.streamOrdering, q.to) : lte(e.streamOrdering, q.to));
    return this.database.db
      .select()
      .from(e)
      .where(and(...conds))
      .orderBy(q.dir === "b" ? desc(e.streamOrdering) : asc(e.streamOrdering))
      .limit(q.limit);
  }

  /**
   * Thread roots of a room by latest activity (newest first), before stream position
   * `before` (exclusive). With `participant`, only threads the user started or replied to.
   */
  async threads(q: { roomId: string; before?: number; limit: number; participant?: string }): Promise<Array<{ rootId: string; latest: number; count: number }>> {
    const e = this.database.tables.events;
    const latest = sql<number>`max(${e.streamOrdering})`;
    const conds: SQL[] = [eq(e.roomId, q.roomId), eq(e.relType, "m.thread"), isNotNull(e.relatesTo)];
    const having = q.before !== undefined ? sql`max(${e.streamOrdering}) < ${q.before}` : undefined;
    const rows = await this.database.db
      .select({ rootId: e.relatesTo, latest, count: sql<number>`count(*)` })
      .from(e)
      .where(and(...conds))
      .groupBy(e.relatesTo)
      .having(having)
      .orderBy(desc(latest))
      .limit(q.participant ? q.limit * 4 + 50 : q.limit);
    let out = rows.map((r) => ({ rootId: r.rootId!, latest: Number(r.latest), count: Number(r.count) }));
    if (q.participant) {
      const roots = await this.getMany(out.map((r) => r.rootId));
      const replied = await this.database.db
        .selectDistinct({ root: e.relatesTo })
        .from(e)
        .where(and(eq(e.roomId, q.roomId), eq(e.relType, "m.thread"), eq(e.sender, q.participant), inArray(e.relatesTo, out.map((r) => r.rootId))));
      const mine = new Set(replied.map((r) => r.root));
      out = out.filter((r) => mine.has(r.rootId) || roots.get(r.rootId)?.sender === q.participant).slice(0, q.limit);
    }
    return out;
  }

  /** The event a transaction id sent (see TxnLookups). */
  eventForTxn(scope: string, roomId: string, txnId: string): Promise<string | undefined> {
    return this.#txns.eventFor(scope, roomId, txnId);
  }
}
