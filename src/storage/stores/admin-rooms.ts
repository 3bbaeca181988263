// The admin API's reads across rooms: what Synapse keeps in its room_stats tables,
// computed from rooms, current state and memberships. The room list reads every room
// (a few grouped queries, not one per room); fine for the thousands of rooms a
// homeserver admin lists, not meant for millions.
import { and, eq, inArray, sql, type Column, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { RoomFacts } from "../../admin/room-summary.ts";
import { SUMMARY_STATE_TYPES } from "../../admin/room-summary.ts";

const CHUNK = 500;

function likeSuffix(s: string): string {
  return `%${s.replace(/[\\%_]/g, (ch) => `\\${ch}`)}`;
}

export class AdminRoomsStore {
  constructor(
    private readonly database: Database,
    private readonly serverName: string,
  ) {}

  /** Facts about the given rooms (every room when `roomIds` is undefined). Unknown rooms are left out. */
  async facts(roomIds?: string[]): Promise<RoomFacts[]> {
    const { db, tables } = this.database;
    const r = tables.rooms;
    if (roomIds !== undefined && roomIds.length === 0) return [];
    const rooms = roomIds === undefined ? await db.select().from(r) : await this.#chunked(roomIds, (ids) => db.select().from(r).where(inArray(r.roomId, ids)));
    const ids = rooms.map((row) => row.roomId);
    const [state, joined, stateCounts] = await Promise.all([this.#summaryState(ids, roomIds === undefined), this.#joinedCounts(ids, roomIds === undefined), this.#stateCounts(ids, roomIds === undefined)]);
    return rooms.map((row) => ({
      roomId: row.roomId,
      roomVersion: row.roomVersion,
      creator: row.creator,
      isPublic: row.isPublic,
      roomType: row.roomType,
      state: state.get(row.roomId) ?? new Map(),
      joinedMembers: joined.get(row.roomId)?.all ?? 0,
      joinedLocalMembers: joined.get(row.roomId)?.local ?? 0,
      stateEvents: stateCounts.get(row.roomId) ?? 0,
    }));
  }

  /** Devices of the given users (the room details' joined_local_devices). */
  async countDevices(userIds: string[]): Promise<number> {
    const d = this.database.tables.devices;
    let n = 0;
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const rows = await this.database.db.select({ n: sql<number>`count(*)` }).from(d).where(inArray(d.userId, userIds.slice(i, i + CHUNK)));
      n += Number(rows[0]?.n ?? 0);
    }
    return n;
  }

  /** True when the room has local members and every one of them has forgotten it. */
  async isLocallyForgotten(roomId: string): Promise<boolean> {
    const m = this.database.tables.roomMemberships;
    const rows = await this.database.db
      .select({ forgotten: m.forgotten })
      .from(m)
      .where(and(eq(m.roomId, roomId), sql`${m.userId} LIKE ${likeSuffix(`:${this.serverName}`)} ESCAPE '\\'`));
    return rows.length > 0 && rows.every((row) => row.forgotten);
  }

  async #chunked<T>(ids: string[], q: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await q(ids.slice(i, i + CHUNK))));
    return out;
  }

  /** `all`: the ids are every room, so no IN list is needed. */
  async #byRooms<T>(ids: string[], all: boolean, column: Column, q: (where: SQL | undefined) => Promise<T[]>): Promise<T[]> {
    if (all) return q(undefined);
    return this.#chunked(ids, (chunk) => q(inArray(column, chunk)));
  }

  async #summaryState(ids: string[], all: boolean): Promise<Map<string, Map<string, Record<string, unknown>>>> {
    const { db, tables } = this.database;
    const cs = tables.roomCurrentState;
    const e = tables.events;
    const rows = await this.#byRooms(ids, all, cs.roomId, (where) =>
      db
        .select({ roomId: cs.roomId, type: cs.type, pdu: e.pdu })
        .from(cs)
        .innerJoin(e, eq(e.eventId, cs.eventId))
        .where(and(inArray(cs.type, [...SUMMARY_STATE_TYPES]), eq(cs.stateKey, ""), where)),
    );
    const out = new Map<string, Map<string, Record<string, unknown>>>();
    for (const row of rows) {
      let content: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(row.pdu) as { content?: unknown };
        if (parsed.content && typeof parsed.content === "object") content = parsed.content as Record<string, unknown>;
      } catch {
        // A stored PDU is always JSON; an unreadable one just contributes nothing.
      }
      let m = out.get(row.roomId);
      if (!m) out.set(row.roomId, (m = new Map()));
      m.set(row.type, content);
    }
    return out;
  }

  async #joinedCounts(ids: string[], all: boolean): Promise<Map<string, { all: number; local: number }>> {
    const { db, tables } = this.database;
    const m = tables.roomMemberships;
    const local = sql<number>`sum(case when ${m.userId} LIKE ${likeSuffix(`:${this.serverName}`)} ESCAPE '\\' then 1 else 0 end)`;
    const rows = await this.#byRooms(ids, all, m.roomId, (where) =>
      db
        .select({ roomId: m.roomId, all: sql<number>`count(*)`, local })
        .from(m)
        .where(and(eq(m.membership, "join"), where))
        .groupBy(m.roomId),
    );
    return new Map(rows.map((row) => [row.roomId, { all: Number(row.all), local: Number(row.local ?? 0) }]));
  }

  /** Current state events per room: member events are counted from the memberships, which alone hold them. */
  async #stateCounts(ids: string[], all: boolean): Promise<Map<string, number>> {
    const { db, tables } = this.database;
    const cs = tables.roomCurrentState;
    const m = tables.roomMemberships;
    const [others, members] = await Promise.all([
      this.#byRooms(ids, all, cs.roomId, (where) => db.select({ roomId: cs.roomId, n: sql<number>`count(*)` }).from(cs).where(where).groupBy(cs.roomId)),
      this.#byRooms(ids, all, m.roomId, (where) => db.select({ roomId: m.roomId, n: sql<number>`count(*)` }).from(m).where(where).groupBy(m.roomId)),
    ]);
    const out = new Map<string, number>();
    for (const row of [...others, ...members]) out.set(row.roomId, (out.get(row.roomId) ?? 0) + Number(row.n));
    return out;
  }
}
