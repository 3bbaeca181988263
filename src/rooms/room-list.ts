// The published room list: GET/PUT /directory/list/room/{roomId} and /publicRooms. The
// list is computed from the rooms table and current state on each request: fine for the
// hundreds of rooms a server publishes, not for a directory of tens of thousands (that
// would want a stats table kept up to date by the event writer).
import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError, forbidden, invalidParam, notFound } from "../http/errors.ts";
import type { RoomDirectoryStore } from "../storage/stores/room-directory.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import { directoryPermission } from "./directory-permissions.ts";
import {
  DIRECTORY_STATE_TYPES,
  compareEntries,
  decodeListToken,
  isListed,
  matchesRoomTypes,
  matchesSearch,
  pageOf,
  publicRoomEntry,
  type PublicRoomsFilter,
  type PublicRoomsPage,
} from "./public-rooms.ts";
import type { RoomHeadCache } from "./room-head.ts";

const log = () => getLogger(["hearth", "rooms", "directory"]);

export interface RoomListDeps {
  serverName: string;
  rooms: RoomsStore;
  heads: RoomHeadCache;
  directory: RoomDirectoryStore;
}

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  server?: string;
  filter?: PublicRoomsFilter;
  include_all_networks?: boolean;
  third_party_instance_id?: string;
}

export class RoomList {
  constructor(private readonly deps: RoomListDeps) {}

  async visibility(roomId: string): Promise<"public" | "private"> {
    const room = await this.deps.rooms.get(roomId);
    if (!room) throw notFound("Room not found");
    return room.isPublic ? "public" : "private";
  }

  /** PUT /directory/list/room/{roomId}: server admins and room moderators (canonical alias power). */
  async setVisibility(requester: Requester, roomId: string, visibility: "public" | "private"): Promise<void> {
    if (requester.isGuest) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests cannot edit the published room list");
    const room = await this.deps.rooms.get(roomId);
    if (!room) throw notFound("Room not found");
    const permission = await directoryPermission(this.deps.heads, requester, roomId);
    if (permission === "not_in_room") throw forbidden(`User ${requester.userId} not in room ${roomId}`);
    if (permission === "insufficient_power") {
      throw forbidden("This server requires you to be a moderator in the room to edit its room list entry");
    }
    if (room.isPublic === (visibility === "public")) return;
    await this.deps.rooms.setPublic(roomId, visibility === "public");
    log().info("{userId} made {roomId} {visibility} in the room directory", { userId: requester.userId, roomId, visibility });
  }

  /** GET and POST /publicRooms for this server's list. */
  async publicRooms(q: PublicRoomsQuery): Promise<PublicRoomsPage & { total_room_count_estimate: number }> {
    if (q.server !== undefined && q.server !== this.deps.serverName) {
      throw invalidParam(`Cannot fetch the room list of ${q.server.slice(0, 255)}: this server does not federate yet`);
    }
    if (q.include_all_networks && q.third_party_instance_id !== undefined) {
      throw invalidParam("Can't use include_all_networks with an explicit network");
    }
    const since = q.since ? decodeListToken(q.since) : undefined;
    // No application service bridges here: a named third-party network has no rooms.
    if (q.third_party_instance_id !== undefined) return { chunk: [], total_room_count_estimate: 0 };

    const published = await this.deps.directory.publishedRooms();
    const stateRows = await this.deps.directory.currentState(published.map((r) => r.roomId), DIRECTORY_STATE_TYPES);
    const stateByRoom = new Map<string, Map<string, Record<string, unknown>>>();
    for (const row of stateRows) {
      if (row.stateKey !== "") continue;
      let state = stateByRoom.get(row.roomId);
      if (!state) stateByRoom.set(row.roomId, (state = new Map()));
      const content = (JSON.parse(row.pdu) as { content?: Record<string, unknown> }).content;
      state.set(row.type, content ?? {});
    }
    const listed = published
      .map((r) => publicRoomEntry({ ...r, state: stateByRoom.get(r.roomId) ?? new Map() }))
      .filter((e) => isListed(e) && matchesRoomTypes(e, q.filter?.room_types));
    // As Synapse, the estimate counts the room-type filter but not the search term.
    const total = listed.length;
    const matching = listed.filter((e) => matchesSearch(e, q.filter?.generic_search_term)).sort(compareEntries);
    return { ...pageOf(matching, q.limit, since), total_room_count_estimate: total };
  }
}
