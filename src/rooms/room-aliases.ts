// Local room aliases (client-server "Room aliases"): lookup, creation by room members,
// deletion by the alias's creator or a room moderator or a server admin, the room's
// alias list, and the RoomAliases hooks the room logic calls (join by alias, createRoom,
// canonical alias checks, upgrades and shutdowns moving aliases).
import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError, forbidden, invalidParam, notFound } from "../http/errors.ts";
import { serverNameOf } from "../matrix/identifiers.ts";
import { stateKey } from "../matrix/events.ts";
import type { Clock } from "../observability/clock.ts";
import type { RoomAliasesStore } from "../storage/stores/room-aliases.ts";
import type { RoomAliases } from "./aliases.ts";
import { canonicalAliasWithout } from "./canonical-alias.ts";
import { directoryPermission } from "./directory-permissions.ts";
import type { RoomService } from "./service.ts";

const log = () => getLogger(["hearth", "rooms", "directory"]);

export interface DirectoryAliasesDeps {
  serverName: string;
  clock: Clock;
  store: RoomAliasesStore;
  rooms: RoomService;
}

function guestRefused(requester: Requester): void {
  if (requester.isGuest) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access not allowed");
}

export class DirectoryAliases implements RoomAliases {
  constructor(private readonly deps: DirectoryAliasesDeps) {}

  isLocal(alias: string): boolean {
    return serverNameOf(alias) === this.deps.serverName;
  }

  // --- RoomAliases, for the room logic ---

  async resolve(alias: string): Promise<{ roomId: string; servers: string[] } | null> {
    // Remote aliases need a federation query, which this server does not make yet.
    if (!this.isLocal(alias)) return null;
    const row = await this.deps.store.get(alias);
    return row ? { roomId: row.roomId, servers: [this.deps.serverName] } : null;
  }

  async checkAvailable(alias: string): Promise<void> {
    if (await this.deps.store.get(alias)) throw new MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken");
  }

  async create(alias: string, roomId: string, creator: string): Promise<void> {
    if (!(await this.deps.store.create(alias, roomId, creator, this.deps.clock.now()))) {
      throw new MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken");
    }
  }

  async remove(alias: string): Promise<void> {
    await this.deps.store.delete(alias);
  }

  moveAll(fromRoomId: string, toRoomId: string, creator?: string): Promise<string[]> {
    return this.deps.store.repoint(fromRoomId, toRoomId, creator);
  }

  // --- the client API ---

  /** GET /directory/room/{roomAlias}. */
  async lookup(alias: string): Promise<{ room_id: string; servers: string[] }> {
    const found = await this.resolve(alias);
    if (!found) throw notFound(`Room alias ${alias} not found`);
    return { room_id: found.roomId, servers: found.servers };
  }

  /** PUT /directory/room/{roomAlias}: only local aliases, only by members of the room. */
  async setAlias(requester: Requester, alias: string, roomId: string): Promise<void> {
    guestRefused(requester);
    if (!this.isLocal(alias)) throw invalidParam("Room alias must be local");
    const member = await this.deps.rooms.stores.rooms.membership(roomId, requester.userId);
    if (member?.membership !== "join") throw forbidden("You must be in the room to create an alias for it");
    if (!(await this.deps.store.create(alias, roomId, requester.userId, this.deps.clock.now()))) {
      throw new MatrixError(409, "M_UNKNOWN", `Room alias ${alias} already exists`);
    }
    log().info("{userId} created alias {alias} for {roomId}", { userId: requester.userId, alias, roomId });
  }

  /**
   * DELETE /directory/room/{roomAlias}. The alias also leaves the room's canonical alias
   * event when the requester may send one; the deletion stands either way.
   */
  async deleteAlias(requester: Requester, alias: string): Promise<void> {
    guestRefused(requester);
    const row = this.isLocal(alias) ? await this.deps.store.get(alias) : undefined;
    if (!row) throw notFound(`Room alias ${alias} not found`);
    if (row.creator !== requester.userId) {
      const permission = await directoryPermission(this.deps.rooms.heads, requester, row.roomId);
      if (permission !== "allowed") throw forbidden("You don't have permission to delete the alias.");
    }
    const roomId = await this.deps.store.delete(alias);
    if (roomId === undefined) throw notFound(`Room alias ${alias} not found`);
    log().info("User {userId} deleted alias {alias}", { userId: requester.userId, alias });
    await this.#dropFromCanonicalAlias(requester, roomId, alias);
  }

  /** GET /rooms/{roomId}/aliases: members (or anyone, when world-readable) and admins. */
  async aliasesForRoom(requester: Requester, roomId: string): Promise<string[]> {
    if (!requester.isAdmin) await this.deps.rooms.access.check(roomId, requester.userId, { allowDeparted: false });
    return this.deps.store.forRoom(roomId);
  }

  async #dropFromCanonicalAlias(requester: Requester, roomId: string, alias: string): Promise<void> {
    const head = await this.deps.rooms.heads.get(roomId);
    const current = head?.state.get(stateKey("m.room.canonical_alias", ""));
    if (!current) return;
    const content = canonicalAliasWithout(current.pdu.content ?? {}, alias);
    if (content === null) return;
    try {
      await this.deps.rooms.events.create(roomId, [{ type: "m.room.canonical_alias", stateKey: "", content, sender: requester.userId }], {
        dedupe: true,
      });
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      log().info("Failed to update alias events: {error}", { error: err.message });
    }
  }
}
