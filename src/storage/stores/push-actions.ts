import { and, desc, eq, getTableColumns, gt, inArray, lt, ne, notExists, or, sql, type SQL } from "drizzle-orm";
import type { Database, Db } from "../database.ts";
import type { PushAction } from "../../push/types.ts";
import { SqlExec } from "./sql-exec.ts";

/** One recipient's outcome for one event (an exception to the event's default, or the only record). */
export interface PushActionRow {
  userId: string;
  eventId: string;
  roomId: string;
  streamOrdering: number;
  threadId: string;
  notif: boolean;
  highlight: boolean;
  actions: PushAction[];
  ts: number;
}

/** The outcome shared by every covered member of the room (see schema eventPushDefaults). */
export interface PushDefaultRow {
  eventId: string;
  roomId: string;
  streamOrdering: number;
  threadId: string;
  sender: string;
  notif: boolean;
  highlight: boolean;
  actions: PushAction[];
  ts: number;
}

export interface PushOutcomeWrite {
  defaults?: PushDefaultRow;
  explicit: PushActionRow[];
  /** Local users who became joined (since this position) or stopped being joined. */
  joined?: Array<{ roomId: string; userId: string; since: number }>;
  left?: Array<{ roomId: string; userId: string }>;
}

export interface UnreadCount {
  notifications: number;
  highlights: number;
}

/** A notification as GET /notifications lists it. */
export interface NotificationRow {
  eventId: string;
  roomId: string;
  streamOrdering: number;
  threadId: string;
  highlight: boolean;
  actions: PushAction[];
  ts: number;
}

const CHUNK = 400;
const DEFAULT_COLUMNS = ["event_id", "room_id", "stream_ordering", "thread_id", "sender", "notif", "highlight", "actions", "ts"];
const ACTION_COLUMNS = ["user_id", "event_id", "room_id", "stream_ordering", "thread_id", "notif", "highlight", "actions", "ts"];
const ROOMS_PER_QUERY = 200;

/**
 * Push rule outcomes: per event a default row for the room's members plus
 * per-user exceptions, so a message in a big room costs one row, not one per
 * member. Unread counts and GET /notifications read both.
 */
export class PushActionsStore {
  readonly #sql: SqlExec;

  constructor(private readonly database: Database) {
    this.#sql = new SqlExec(database);
  }

  async write(w: PushOutcomeWrite): Promise<void> {
    return this.writeMany([w]);
  }

  /**
   * The outcomes of several events, in their order, in one transaction (the caller's, when
   * called inside one). Every new event writes here: plain SQL (see SqlExec), pipelined
   * where the database allows. JSON columns take JSON text on both databases.
   */
  async writeMany(ws: readonly PushOutcomeWrite[]): Promise<void> {
    if (!ws.some((w) => w.defaults || w.explicit.length > 0 || w.joined?.length || w.left?.length)) return;
    await this.database.transaction("add_push_actions", (tx) => {
      const statements = this.#sql.pipeline(tx);
      for (const w of ws) {
        for (const l of w.left ?? []) statements.run("DELETE FROM push_room_members WHERE room_id = ? AND user_id = ?", [l.roomId, l.userId]);
        for (const j of w.joined ?? []) {
          // A join after a join (a profile change) keeps the original start.
          statements.run("INSERT INTO push_room_members (room_id, user_id, since_stream) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [j.roomId, j.userId, j.since]);
        }
      }
      const defaults = ws.flatMap((w) => (w.defaults ? [w.defaults] : []));
      statements.insertMany(
        "event_push_defaults",
        DEFAULT_COLUMNS,
        defaults.map((d) => [d.eventId, d.roomId, d.streamOrdering, d.threadId, d.sender, d.notif, d.highlight, JSON.stringify(d.actions), d.ts]),
        "ON CONFLICT DO NOTHING",
      );
      const rows = ws.flatMap((w) => w.explicit.map((a) => [a.userId, a.eventId, a.roomId, a.streamOrdering, a.threadId, a.notif, a.highlight, JSON.stringify(a.actions), a.ts]));
      statements.insertMany("event_push_actions", ACTION_COLUMNS, rows, "ON CONFLICT DO NOTHING");
      return statements.done();
    });
  }

  /** Since when the user has been joined to each room, as push processing recorded it. */
  async joinedSince(userId: string, roomIds: readonly string[], tx: Db = this.database.db): Promise<Map<string, number>> {
    const m = this.database.tables.pushRoomMembers;
    const out = new Map<string, number>();
    for (let i = 0; i < roomIds.length; i += CHUNK) {
      const rows = await tx
        .select({ roomId: m.roomId, since: m.sinceStream })
        .from(m)
        .where(and(eq(m.userId, userId), inArray(m.roomId, roomIds.slice(i, i + CHUNK))));
      for (const r of rows) out.set(r.roomId, Number(r.since));
    }
    return out;
  }

  /** The local members of a room as push processing recorded them, with since when. */
  async membersOf(roomId: string): Promise<Map<string, number>> {
    const m = this.database.tables.pushRoomMembers;
    const rows = await this.database.db.select({ userId: m.userId, since: m.sinceStream }).from(m).where(eq(m.roomId, roomId));
    return new Map(rows.map((r) => [r.userId, Number(r.since)]));
  }

  /** Every room the user is in as push processing recorded it, with since when. */
  async roomsOf(userId: string): Promise<Map<string, number>> {
    const m = this.database.tables.pushRoomMembers;
    const rows = await this.database.db.select({ roomId: m.roomId, since: m.sinceStream }).from(m).where(eq(m.userId, userId));
    return new Map(rows.map((r) => [r.roomId, Number(r.since)]));
  }

  /** Counts per (room, thread) after a per-room position (exclusive). */
  async countsAfter(userId: string, after: ReadonlyMap<string, number>): Promise<Map<string, Map<string, UnreadCount>>> {
    const { eventPushActions: e, eventPushDefaults: d, events: ev } = this.database.tables;
    const out = new Map<string, Map<string, UnreadCount>>();
    const add = (roomId: string, threadId: string, n: unknown, h: unknown) => {
      let byThread = out.get(roomId);
      if (!byThread) out.set(roomId, (byThread = new Map()));
      const c = byThread.get(threadId) ?? { notifications: 0, highlights: 0 };
      c.notifications += Number(n ?? 0);
      c.highlights += Number(h ?? 0);
      byThread.set(threadId, c);
    };
    const rooms = [...after];
    for (let i = 0; i < rooms.length; i += ROOMS_PER_QUERY) {
      const chunk = rooms.slice(i, i + ROOMS_PER_QUERY);
      // Both at once: on PostgreSQL that is one round trip's wait, not two.
      const [explicitRows, defaultRows] = await Promise.all([
        this.database.db
          .select({ roomId: e.roomId, threadId: e.threadId, n: countIf(e.notif), h: countIf(e.highlight) })
          .from(e)
          .where(and(eq(e.userId, userId), or(...chunk.map(([r, p]) => and(eq(e.roomId, r), gt(e.streamOrdering, p))!))))
          .groupBy(e.roomId, e.threadId),
        // A room's default rows are found through its events (see eventPushDefaults).
        this.database.db
          .select({ roomId: ev.roomId, threadId: d.threadId, n: countIf(d.notif), h: countIf(d.highlight) })
          .from(ev)
          .innerJoin(d, eq(d.streamOrdering, ev.streamOrdering))
          .where(
            and(
              or(...chunk.map(([r, p]) => and(eq(ev.roomId, r), gt(ev.streamOrdering, p))!)),
              ne(d.sender, userId),
              this.#noException(userId),
            ),
          )
          .groupBy(ev.roomId, d.threadId),
      ]);
      for (const r of explicitRows) add(r.roomId, r.threadId, r.n, r.h);
      for (const r of defaultRows) add(r.roomId, r.threadId, r.n, r.h);
    }
    return out;
  }

  /** Counts in one thread of a room after `after`. */
  async threadCountAfter(userId: string, roomId: string, threadId: string, after: number): Promise<UnreadCount> {
    const counts = await this.countsAfter(userId, new Map([[roomId, after]]));
    return counts.get(roomId)?.get(threadId) ?? { notifications: 0, highlights: 0 };
  }

  /**
   * A page of the user's notifications, newest first, before stream position
   * `before`. `rooms` gives, per room the user is in, since when they are in it.
   */
  async page(
    userId: string,
    rooms: ReadonlyMap<string, number>,
    opts: { before?: number; limit: number; onlyHighlight?: boolean },
  ): Promise<NotificationRow[]> {
    const { eventPushActions: e, eventPushDefaults: d, events: ev } = this.database.tables;
    const conds: SQL[] = [eq(e.userId, userId), or(eq(e.notif, true), eq(e.highlight, true))!];
    if (opts.before !== undefined) conds.push(lt(e.streamOrdering, opts.before));
    if (opts.onlyHighlight) conds.push(eq(e.highlight, true));
    const own = await this.database.db.select().from(e).where(and(...conds)).orderBy(desc(e.streamOrdering)).limit(opts.limit);
    const out: NotificationRow[] = own.map((r) => ({ ...r, streamOrdering: Number(r.streamOrdering), ts: Number(r.ts) }));
    const roomList = [...rooms];
    for (let i = 0; i < roomList.length; i += ROOMS_PER_QUERY) {
      const chunk = roomList.slice(i, i + ROOMS_PER_QUERY);
      const dc: SQL[] = [
        or(...chunk.map(([r, since]) => and(eq(ev.roomId, r), gt(ev.streamOrdering, since))!))!,
        ne(d.sender, userId),
        this.#noException(userId),
      ];
      if (opts.before !== undefined) dc.push(lt(ev.streamOrdering, opts.before));
      dc.push(opts.onlyHighlight ? eq(d.highlight, true) : or(eq(d.notif, true), eq(d.highlight, true))!);
      const rows = await this.database.db
        .select(getTableColumns(d))
        .from(ev)
        .innerJoin(d, eq(d.streamOrdering, ev.streamOrdering))
        .where(and(...dc))
        .orderBy(desc(ev.streamOrdering))
        .limit(opts.limit);
      for (const r of rows) out.push({ ...r, streamOrdering: Number(r.streamOrdering), ts: Number(r.ts) });
    }
    return out.sort((a, b) => b.streamOrdering - a.streamOrdering).slice(0, opts.limit);
  }

  /** The user has no exception row for the default row's event. */
  #noException(userId: string): SQL {
    const { eventPushActions: e, eventPushDefaults: d } = this.database.tables;
    return notExists(
      this.database.db
        .select({ one: sql`1` })
        .from(e)
        .where(and(eq(e.userId, userId), eq(e.eventId, d.eventId))),
    );
  }
}

function countIf(column: unknown): SQL<number> {
  return sql<number>`sum(CASE WHEN ${column} THEN 1 ELSE 0 END)`;
}
