import { and, asc, desc, eq, gt, inArray, lte, ne, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { EventRow } from "./events.ts";
import { EVENT_ROW_COLUMNS, eventRowOf } from "./event-rows.ts";
import { SqlExec } from "./sql-exec.ts";

const CHUNK = 500;

export interface MemberSummaryCounts {
  joined: number;
  invited: number;
}

/**
 * The reads /sync and push evaluation make of the rooms module's tables (events,
 * memberships), shaped for them: ranges of the events stream, membership history
 * of one user, member counts and heroes. Read-only; the rooms module writes.
 */
export class SyncReadsStore {
  readonly #sql: SqlExec;

  constructor(private readonly database: Database) {
    this.#sql = new SqlExec(database);
  }

  /** Push processing reads every new event here: plain SQL (see SqlExec). */
  async eventByStream(streamOrdering: number): Promise<EventRow | undefined> {
    const rows = await this.#sql.rows(this.database.db, `SELECT ${EVENT_ROW_COLUMNS} FROM events WHERE stream_ordering = ?`, [streamOrdering]);
    return rows[0] && eventRowOf(rows[0]);
  }

  /** Rooms with at least one event in (after, upTo]. */
  async roomsWithEvents(after: number, upTo: number): Promise<Set<string>> {
    const e = this.database.tables.events;
    const rows = await this.database.db
      .selectDistinct({ roomId: e.roomId })
      .from(e)
      .where(and(gt(e.streamOrdering, after), lte(e.streamOrdering, upTo)));
    return new Set(rows.map((r) => r.roomId));
  }

  /** A room's events in (after, upTo], newest first. */
  async eventsBackwards(roomId: string, upTo: number, after: number | undefined, limit: number): Promise<EventRow[]> {
    const e = this.database.tables.events;
    const conds: SQL[] = [eq(e.roomId, roomId), lte(e.streamOrdering, upTo)];
    if (after !== undefined) conds.push(gt(e.streamOrdering, after));
    return this.database.db
      .select()
      .from(e)
      .where(and(...conds))
      .orderBy(desc(e.streamOrdering))
      .limit(limit);
  }

  /** The last event of each room at or before `upTo`: its stream position, depth and state group. */
  async lastEventsAtOrBefore(roomIds: readonly string[], upTo: number): Promise<Map<string, { stream: number; depth: number; stateGroup: number }>> {
    const e = this.database.tables.events;
    const out = new Map<string, { stream: number; depth: number; stateGroup: number }>();
    for (let i = 0; i < roomIds.length; i += CHUNK) {
      const chunk = roomIds.slice(i, i + CHUNK);
      const last = this.database.db
        .select({ roomId: e.roomId, pos: sql<number>`max(${e.streamOrdering})`.as("pos") })
        .from(e)
        .where(and(inArray(e.roomId, chunk), lte(e.streamOrdering, upTo)))
        .groupBy(e.roomId)
        .as("last");
      const rows = await this.database.db
        .select({ roomId: e.roomId, stream: e.streamOrdering, depth: e.depth, stateGroup: e.stateGroup })
        .from(e)
        .innerJoin(last, and(eq(last.roomId, e.roomId), eq(last.pos, e.streamOrdering)));
      for (const r of rows) out.set(r.roomId, { stream: Number(r.stream), depth: Number(r.depth), stateGroup: Number(r.stateGroup) });
    }
    return out;
  }

  /**
   * The user's membership in each room as of stream position `at`, from their
   * member events; rooms with no member event by then are absent.
   */
  async membershipsAt(userId: string, roomIds: readonly string[], at: number): Promise<Map<string, { membership: string; stream: number; eventId: string }>> {
    const e = this.database.tables.events;
    const out = new Map<string, { membership: string; stream: number; eventId: string }>();
    for (let i = 0; i < roomIds.length; i += CHUNK) {
      const chunk = roomIds.slice(i, i + CHUNK);
      const last = this.database.db
        .select({ roomId: e.roomId, pos: sql<number>`max(${e.streamOrdering})`.as("pos") })
        .from(e)
        .where(and(eq(e.stateKey, userId), eq(e.type, "m.room.member"), inArray(e.roomId, chunk), lte(e.streamOrdering, at)))
        .groupBy(e.roomId)
        .as("last");
      const rows = await this.database.db
        .select({ roomId: e.roomId, membership: e.membership, stream: e.streamOrdering, eventId: e.eventId })
        .from(e)
        .innerJoin(last, and(eq(last.roomId, e.roomId), eq(last.pos, e.streamOrdering)));
      for (const r of rows) out.set(r.roomId, { membership: r.membership ?? "leave", stream: Number(r.stream), eventId: r.eventId });
    }
    return out;
  }

  /**
   * The highest committed account-data stream id. Unlike the id sequence (which
   * counts ids of transactions still in flight on PostgreSQL), only committed
   * rows are seen, so a position read here is safe to hand to a client.
   */
  async maxCommittedAccountDataId(): Promise<number> {
    const t = this.database.tables.accountData;
    const rows = await this.database.db.select({ pos: sql<number>`max(${t.streamId})` }).from(t);
    return Number(rows[0]?.pos ?? 0);
  }

  /** Joined and invited member counts of rooms. */
  async memberCounts(roomIds: readonly string[]): Promise<Map<string, MemberSummaryCounts>> {
    const m = this.database.tables.roomMemberships;
    const out = new Map<string, MemberSummaryCounts>();
    for (const r of roomIds) out.set(r, { joined: 0, invited: 0 });
    for (let i = 0; i < roomIds.length; i += CHUNK) {
      const rows = await this.database.db
        .select({ roomId: m.roomId, membership: m.membership, n: sql<number>`count(*)` })
        .from(m)
        .where(and(inArray(m.roomId, roomIds.slice(i, i + CHUNK)), inArray(m.membership, ["join", "invite"])))
        .groupBy(m.roomId, m.membership);
      for (const r of rows) {
        const c = out.get(r.roomId)!;
        if (r.membership === "join") c.joined = Number(r.n);
        else c.invited = Number(r.n);
      }
    }
    return out;
  }

  /**
   * Candidates for `m.heroes`: members other than `userId`, joined and invited
   * first, then those who left, each group oldest membership first.
   */
  async heroes(roomId: string, userId: string, limit = 5): Promise<string[]> {
    const m = this.database.tables.roomMemberships;
    const rank = sql<number>`CASE ${m.membership} WHEN 'join' THEN 0 WHEN 'invite' THEN 0 ELSE 1 END`;
    const rows = await this.database.db
      .select({ userId: m.userId })
      .from(m)
      .where(and(eq(m.roomId, roomId), ne(m.userId, userId)))
      .orderBy(rank, asc(m.streamOrdering))
      .limit(limit);
    return rows.map((r) => r.userId);
  }

  /** Users joined to any of the rooms (for presence). */
  joinedUsersOf(roomIds: readonly string[]): Promise<Set<string>> {
    return joinedUsersOfRooms(this.database, roomIds);
  }

  /** Which of `userIds` are joined to at least one of `roomIds`. */
  async usersJoinedToAny(userIds: readonly string[], roomIds: readonly string[]): Promise<Set<string>> {
    const m = this.database.tables.roomMemberships;
    const out = new Set<string>();
    if (userIds.length === 0 || roomIds.length === 0) return out;
    for (let i = 0; i < roomIds.length; i += CHUNK) {
      for (let j = 0; j < userIds.length; j += CHUNK) {
        const rows = await this.database.db
          .selectDistinct({ userId: m.userId })
          .from(m)
          .where(
            and(
              inArray(m.roomId, roomIds.slice(i, i + CHUNK)),
              inArray(m.userId, userIds.slice(j, j + CHUNK)),
              eq(m.membership, "join"),
            ),
          );
        for (const r of rows) out.add(r.userId);
      }
    }
    return out;
  }
}

/** Users joined to any of `roomIds`; device-list tracking (E2eeRoomSharingStore) asks the same. */
export async function joinedUsersOfRooms(database: Database, roomIds: readonly string[]): Promise<Set<string>> {
  const m = database.tables.roomMemberships;
  const out = new Set<string>();
  for (let i = 0; i < roomIds.length; i += CHUNK) {
    const rows = await database.db
      .selectDistinct({ userId: m.userId })
      .from(m)
      .where(and(inArray(m.roomId, roomIds.slice(i, i + CHUNK)), eq(m.membership, "join")));
    for (const r of rows) out.add(r.userId);
  }
  return out;
}
