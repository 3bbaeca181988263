import { and, eq, gt, inArray, lte } from "drizzle-orm";
import type { Database } from "../database.ts";
import { joinedUsersOfRooms } from "./sync-reads.ts";

const CHUNK = 500;

/** Membership changes relevant to a user's device-list tracking, from the events stream. */
export interface SharingChanges {
  /** Rooms the user joined in the window (their members now share a room with the user). */
  joinedRooms: string[];
  /** Rooms the user left in the window. */
  leftRooms: string[];
  /** Other users who joined one of the user's current rooms in the window. */
  othersJoined: string[];
  /** Other users who left one of the user's current rooms in the window. */
  othersLeft: string[];
}

/**
 * Read-only queries over the rooms tables (`room_memberships`, `events`) that device-list
 * tracking needs: who shares a room with whom, and whose sharing started or ended.
 */
export class E2eeRoomSharingStore {
  constructor(private readonly database: Database) {}

  async joinedRoomIds(userId: string): Promise<string[]> {
    const m = this.database.tables.roomMemberships;
    const rows = await this.database.db
      .select({ roomId: m.roomId })
      .from(m)
      .where(and(eq(m.userId, userId), eq(m.membership, "join")));
    return rows.map((r) => r.roomId);
  }

  /** Users joined to any of `roomIds`. */
  joinedMembers(roomIds: string[]): Promise<Set<string>> {
    return joinedUsersOfRooms(this.database, roomIds);
  }

  /** Every user sharing a joined room with `userId` (including `userId` when joined anywhere). */
  async usersSharingRoomWith(userId: string): Promise<Set<string>> {
    return this.joinedMembers(await this.joinedRoomIds(userId));
  }

  /** Of `candidates`, those joined to a room `userId` is joined to. */
  async whoSharesRoomWith(userId: string, candidates: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (candidates.length === 0) return out;
    const rooms = await this.joinedRoomIds(userId);
    if (rooms.length === 0) return out;
    const m = this.database.tables.roomMemberships;
    for (let i = 0; i < candidates.length; i += CHUNK) {
      const rows = await this.database.db
        .select({ userId: m.userId, roomId: m.roomId })
        .from(m)
        .where(and(inArray(m.userId, candidates.slice(i, i + CHUNK)), eq(m.membership, "join")));
      const mine = new Set(rooms);
      for (const r of rows) if (mine.has(r.roomId)) out.add(r.userId);
    }
    return out;
  }

  /** Membership events in (since, upTo] of the events stream that change whom `userId` shares rooms with. */
  async sharingChanges(userId: string, since: number, upTo: number): Promise<SharingChanges> {
    const result: SharingChanges = { joinedRooms: [], leftRooms: [], othersJoined: [], othersLeft: [] };
    if (upTo <= since) return result;
    const e = this.database.tables.events;
    const window = and(eq(e.type, "m.room.member"), gt(e.streamOrdering, since), lte(e.streamOrdering, upTo));
    const own = await this.database.db
      .select({ roomId: e.roomId, membership: e.membership, pos: e.streamOrdering })
      .from(e)
      .where(and(eq(e.stateKey, userId), window));
    // The last own membership in the window decides whether a room was joined or left.
    const lastOwn = new Map<string, string>();
    for (const r of own.sort((a, b) => a.pos - b.pos)) lastOwn.set(r.roomId, r.membership ?? "");
    const current = await this.joinedRoomIds(userId);
    const currentSet = new Set(current);
    for (const [roomId, membership] of lastOwn) {
      if (membership === "join" && currentSet.has(roomId)) result.joinedRooms.push(roomId);
      else if (membership !== "join" && !currentSet.has(roomId)) result.leftRooms.push(roomId);
    }
    const stable = current.filter((r) => !lastOwn.has(r));
    for (let i = 0; i < stable.length; i += CHUNK) {
      const rows = await this.database.db
        .select({ userId: e.stateKey, membership: e.membership, pos: e.streamOrdering, unsigned: e.unsigned })
        .from(e)
        .where(and(inArray(e.roomId, stable.slice(i, i + CHUNK)), window));
      for (const r of rows.sort((a, b) => a.pos - b.pos)) {
        if (!r.userId || r.userId === userId) continue;
        // A join after a join is a profile change: sharing did not change.
        if (r.membership === "join" && previousMembership(r.unsigned) !== "join") result.othersJoined.push(r.userId);
        else if (r.membership === "leave" || r.membership === "ban") result.othersLeft.push(r.userId);
      }
    }
    return result;
  }
}

function previousMembership(unsigned: string | null): string | undefined {
  if (!unsigned) return undefined;
  try {
    const prev = (JSON.parse(unsigned) as { prev_content?: { membership?: unknown } }).prev_content?.membership;
    return typeof prev === "string" ? prev : undefined;
  } catch {
    return undefined;
  }
}
