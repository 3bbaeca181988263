import { and, count, eq, gt, inArray, lt, or, sql, type Column, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";

export type RoomRow = typeof import("../schema/rooms.ts").rooms.$inferSelect;
export type MembershipRow = typeof import("../schema/rooms.ts").roomMemberships.$inferSelect;

export interface StateEventRow {
  type: string;
  stateKey: string;
  eventId: string;
  pdu: string;
  depth: number;
  stateGroup: number;
}

/** Rooms, their current state, current memberships and forward extremities. */
export class RoomsStore {
  constructor(private readonly database: Database) {}

  async get(roomId: string): Promise<RoomRow | undefined> {
    const { db, tables } = this.database;
    const rows = await db.select().from(tables.rooms).where(eq(tables.rooms.roomId, roomId)).limit(1);
    return rows[0];
  }

  async setPublic(roomId: string, isPublic: boolean): Promise<void> {
    const t = this.database.tables.rooms;
    await this.database.transaction("set_room_is_public", (tx) => tx.update(t).set({ isPublic }).where(eq(t.roomId, roomId)));
  }

  /**
   * Current state events of a room, joined with their events. `types` limits the
   * types; `excludeTypes` drops some (the head cache loads everything but members).
   * Member events come from room_memberships, the only table that holds them.
   */
  async currentState(roomId: string, opts: { types?: string[]; excludeTypes?: string[] } = {}): Promise<StateEventRow[]> {
    const { db, tables } = this.database;
    const cs = tables.roomCurrentState;
    const e = tables.events;
    const wants = (type: string) => (opts.types ? opts.types.includes(type) : true) && !opts.excludeTypes?.includes(type);
    const otherTypes = opts.types?.filter((t) => t !== MEMBER);
    const excluded = opts.excludeTypes?.filter((t) => t !== MEMBER);
    const conds: SQL[] = [eq(cs.roomId, roomId)];
    if (otherTypes) conds.push(inArray(cs.type, otherTypes));
    if (excluded?.length) conds.push(typeOutside(cs.type, excluded));
    const others =
      otherTypes?.length === 0
        ? []
        : db
            .select({ type: cs.type, stateKey: cs.stateKey, eventId: e.eventId, pdu: e.pdu, depth: e.depth, stateGroup: e.stateGroup })
            .from(cs)
            .innerJoin(e, eq(e.eventId, cs.eventId))
            .where(and(...conds));
    if (!wants(MEMBER)) return others;
    const m = tables.roomMemberships;
    const members = db
      .select({ type: e.type, stateKey: m.userId, eventId: e.eventId, pdu: e.pdu, depth: e.depth, stateGroup: e.stateGroup })
      .from(m)
      .innerJoin(e, eq(e.eventId, m.eventId))
      .where(eq(m.roomId, roomId));
    const [a, b] = await Promise.all([others, members]);
    return [...a, ...b];
  }

  /** Current member events of the given users (absent users have no membership). */
  async memberEvents(roomId: string, userIds: string[]): Promise<Map<string, { eventId: string; pdu: string }>> {
    const out = new Map<string, { eventId: string; pdu: string }>();
    if (userIds.length === 0) return out;
    const { db, tables } = this.database;
    const m = tables.roomMemberships;
    const e = tables.events;
    const rows = await db
      .select({ userId: m.userId, eventId: e.eventId, pdu: e.pdu })
      .from(m)
      .innerJoin(e, eq(e.eventId, m.eventId))
      .where(and(eq(m.roomId, roomId), inArray(m.userId, userIds)));
    for (const r of rows) out.set(r.userId, { eventId: r.eventId, pdu: r.pdu });
    return out;
  }

  async membership(roomId: string, userId: string): Promise<MembershipRow | undefined> {
    const m = this.database.tables.roomMemberships;
    const rows = await this.database.db
      .select()
      .from(m)
      .where(and(eq(m.roomId, roomId), eq(m.userId, userId)))
      .limit(1);
    return rows[0];
  }

  /** Rooms where the user's current membership is one of `memberships`. */
  async roomsForUser(userId: string, memberships: string[] = ["join"]): Promise<MembershipRow[]> {
    const m = this.database.tables.roomMemberships;
    return this.database.db
      .select()
      .from(m)
      .where(and(eq(m.userId, userId), inArray(m.membership, memberships)));
  }

  async members(roomId: string, membership?: string): Promise<MembershipRow[]> {
    const m = this.database.tables.roomMemberships;
    const conds: SQL[] = [eq(m.roomId, roomId)];
    if (membership) conds.push(eq(m.membership, membership));
    return this.database.db.select().from(m).where(and(...conds));
  }

  /** For the room directory: joined member counts. */
  async countMembers(roomId: string, membership = "join"): Promise<number> {
    const m = this.database.tables.roomMemberships;
    const rows = await this.database.db
      .select({ n: sql<number>`count(*)` })
      .from(m)
      .where(and(eq(m.roomId, roomId), eq(m.membership, membership)));
    return Number(rows[0]?.n ?? 0);
  }

  /** /forget: only a membership that is no longer join/invite/knock can be forgotten. */
  async forget(roomId: string, userId: string): Promise<void> {
    const m = this.database.tables.roomMemberships;
    await this.database.transaction("forget_room", (tx) =>
      tx
        .update(m)
        .set({ forgotten: true })
        .where(and(eq(m.roomId, roomId), eq(m.userId, userId), inArray(m.membership, ["leave", "ban"]))),
    );
  }

  /** The rooms a user is joined to. */
  async joinedRoomIds(userId: string): Promise<string[]> {
    const rows = await this.roomsForUser(userId, ["join"]);
    return rows.map((r) => r.roomId);
  }

  async forwardExtremities(roomId: string): Promise<Array<{ eventId: string; depth: number; stateGroup: number; streamOrdering: number }>> {
    const { db, tables } = this.database;
    const fx = tables.roomForwardExtremities;
    const e = tables.events;
    return db
      .select({ eventId: e.eventId, depth: e.depth, stateGroup: e.stateGroup, streamOrdering: e.streamOrdering })
      .from(fx)
      .innerJoin(e, eq(e.eventId, fx.eventId))
      .where(eq(fx.roomId, roomId));
  }

  /** The number of forward extremities of every room (one row per room: for the metrics, read rarely). */
  async forwardExtremityCounts(): Promise<Map<string, number>> {
    const { db, tables } = this.database;
    const fx = tables.roomForwardExtremities;
    const rows = await db.select({ roomId: fx.roomId, n: count() }).from(fx).groupBy(fx.roomId);
    return new Map(rows.map((r) => [r.roomId, Number(r.n)]));
  }
}

const MEMBER = "m.room.member";

/**
 * `column NOT IN (types)` as ranges around each type. NOT IN reads every row of the room
 * off the (room_id, type, state_key) index before discarding it, thousands for a type a
 * room has many of; the ranges are index scans of what is kept. `< t OR > t` is `<> t`
 * under whatever collation the database uses.
 */

function typeOutside(column: Column, types: readonly string[]): SQL {
  return and(...[...new Set(types)].map((t) => or(lt(column, t), gt(column, t))))!;
}
