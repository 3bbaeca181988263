import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

export interface PublishedRoomRow {
  roomId: string;
  roomType: string | null;
  joinedMembers: number;
}

export interface DirectoryStateRow {
  roomId: string;
  type: string;
  stateKey: string;
  pdu: string;
}

/** Reads for the public room list and room upgrades. */
export class RoomDirectoryStore {
  constructor(private readonly database: Database) {}

  /** Every published room with its joined member count (index rooms_is_public, room_memberships_room). */
  async publishedRooms(): Promise<PublishedRoomRow[]> {
    const { db, tables } = this.database;
    const r = tables.rooms;
    const m = tables.roomMemberships;
    const rows = await db
      .select({ roomId: r.roomId, roomType: r.roomType, joined: sql<number | string>`count(${m.userId})` })
      .from(r)
      .leftJoin(m, and(eq(m.roomId, r.roomId), eq(m.membership, "join")))
      .where(eq(r.isPublic, true))
      .groupBy(r.roomId, r.roomType);
    return rows.map((row) => ({ roomId: row.roomId, roomType: row.roomType, joinedMembers: Number(row.joined) }));
  }

  /** Current state events of the given types in the given rooms, as PDU JSON text. */
  async currentState(roomIds: string[], types: string[]): Promise<DirectoryStateRow[]> {
    const { db, tables } = this.database;
    const cs = tables.roomCurrentState;
    const e = tables.events;
    const out: DirectoryStateRow[] = [];
    for (let i = 0; i < roomIds.length; i += 500) {
      const rows = await db
        .select({ roomId: cs.roomId, type: cs.type, stateKey: cs.stateKey, pdu: e.pdu })
        .from(cs)
        .innerJoin(e, eq(e.eventId, cs.eventId))
        .where(and(inArray(cs.roomId, roomIds.slice(i, i + 500)), inArray(cs.type, types)));
      out.push(...rows);
    }
    return out;
  }

  /**
   * The room's current bans, by user id: the banned users and their ban events' content
   * as JSON text, read through the (room_id, membership) index without touching other
   * memberships or any event (the content is kept with the ban). In user order, a copy
   * of them into another room appends to its indexes by user.
   */
  async bans(roomId: string): Promise<Array<{ userId: string; content: string | null }>> {
    const { db, tables } = this.database;
    const m = tables.roomMemberships;
    return db
      .select({ userId: m.userId, content: m.banContent })
      .from(m)
      .where(and(eq(m.roomId, roomId), eq(m.membership, "ban")))
      .orderBy(m.userId);
  }

  /** Local users joined to the room (restricted joins pick an authoriser among them). */
  async localJoinedMembers(roomId: string, serverName: string): Promise<string[]> {
    const { db, tables } = this.database;
    const m = tables.roomMemberships;
    const rows = await db
      .select({ userId: m.userId })
      .from(m)
      .where(and(eq(m.roomId, roomId), eq(m.membership, "join"), sql`${m.userId} LIKE ${`%:${escapeLike(serverName)}`} ESCAPE '\\'`));
    // LIKE only narrows: the server name must be exactly what follows the first colon.
    return rows.map((r) => r.userId).filter((u) => u.slice(u.indexOf(":") + 1) === serverName);
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
