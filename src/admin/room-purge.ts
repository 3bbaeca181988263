// Removing every trace of a room from the database (behaviour spec §8.3), table by table
// from PURGE_ROOM_TABLES, twice: the second pass catches rows written during the first.
// Chunked, so other requests keep being served while a big room goes.
import { getLogger } from "@logtape/logtape";
import { MatrixError, notFound } from "../http/errors.ts";
import { Listeners } from "../accounts/listeners.ts";
import type { RoomPurgeStore } from "../storage/stores/admin-room-purge.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import type { RoomHeadCache } from "../rooms/room-head.ts";
import { PURGE_ROOM_TABLES } from "./room-tables.ts";

const log = () => getLogger(["hearth", "admin", "purge"]);

/** Rows deleted per transaction. */
export const PURGE_CHUNK_ROWS = 500;

export interface RoomPurgerDeps {
  serverName: string;
  store: RoomPurgeStore;
  rooms: RoomsStore;
  heads: RoomHeadCache;
  chunkRows?: number;
}

export class RoomPurger {
  /** Fired after a purge: caches elsewhere drop what they hold for the room. */
  readonly onRoomPurged = new Listeners<{ roomId: string }>("room_purged");
  /** Test hook: awaited between chunks, so a test can hold a purge half-way. */
  betweenChunks: ((table: string) => Promise<void>) | undefined;

  constructor(private readonly deps: RoomPurgerDeps) {}

  /** Local users still joined to the room. */
  async localJoined(roomId: string): Promise<string[]> {
    const suffix = `:${this.deps.serverName}`;
    return (await this.deps.rooms.members(roomId, "join")).map((m) => m.userId).filter((u) => u.endsWith(suffix));
  }

  /**
   * Purges the room. 404 when the server does not know it; 400 while local users
   * are joined, unless `force`.
   */
  async purge(roomId: string, force: boolean): Promise<void> {
    log().info("starting purge room_id={roomId} force={force}", { roomId, force });
    if (!(await this.deps.rooms.get(roomId))) throw notFound("Room not found");
    const joined = await this.localJoined(roomId);
    if (joined.length > 0) {
      if (!force) throw new MatrixError(400, "M_UNKNOWN", "Users are still joined to this room");
      log().warn("force-purging room {roomId} with some local users still joined", { roomId });
    }
    await this.#dropHead(roomId);
    log().info("[purge] Starting initial main purge of [1/2]", { roomId });
    await this.#pass(roomId);
    log().info("[purge] Starting secondary main purge of [2/2]", { roomId });
    await this.#pass(roomId);
    log().info("[purge] Done with main purge", { roomId });
    await this.#dropHead(roomId);
    await this.onRoomPurged.emit({ roomId });
    log().info("purge complete for room_id {roomId}", { roomId });
  }

  async #pass(roomId: string): Promise<void> {
    const limit = this.deps.chunkRows ?? PURGE_CHUNK_ROWS;
    for (const step of PURGE_ROOM_TABLES) {
      const table = this.deps.store.tableName(step.table);
      log().info("[purge] removing from {table}", { table, roomId });
      if (!this.deps.store.isIndexed(step)) {
        await this.deps.store.deleteChunk(step, roomId, null);
        continue;
      }
      for (;;) {
        const gone = await this.deps.store.deleteChunk(step, roomId, limit);
        if (gone < limit) break;
        await this.betweenChunks?.(table);
      }
    }
  }

  /** The in-memory head would otherwise let events be built on a room that is gone. */
  async #dropHead(roomId: string): Promise<void> {
    try {
      const head = await this.deps.heads.get(roomId);
      if (head) this.deps.heads.invalidate(head);
    } catch {
      // A half-purged room cannot be loaded; there is then no head to drop.
    }
  }
}
