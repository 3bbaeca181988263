// Shutting a room down (Synapse's RoomShutdownHandler): block it if asked, optionally
// open a notice room, make every local member leave (and forget) it, and move them to
// the notice room. Membership changes go through the rooms service, as the users
// themselves, without rate limits.
import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError } from "../http/errors.ts";
import type { Clock } from "../observability/clock.ts";
import type { RoomService } from "../rooms/service.ts";
import type { BlockedRoomsStore } from "../storage/stores/admin-blocked-rooms.ts";
import { parseUserId } from "../matrix/identifiers.ts";

const log = () => getLogger(["hearth", "admin", "shutdown"]);

export const DEFAULT_ROOM_NAME = "Content Violation Notification";
export const DEFAULT_MESSAGE = "Sharing illegal content on this server is not permitted and rooms in violation will be blocked.";

export interface ShutdownParams {
  requesterUserId: string;
  newRoomUserId: string | null;
  roomName: string | null;
  message: string | null;
  block: boolean;
}

export interface ShutdownResult {
  kicked_users: string[];
  failed_to_kick_users: string[];
  local_aliases: string[];
  new_room_id: string | null;
}

export interface RoomShutdownDeps {
  serverName: string;
  clock: Clock;
  rooms: RoomService;
  blocked: BlockedRoomsStore;
}

/** A requester acting as a local user on an admin's behalf. */
export function actingAs(userId: string, admin: string): Requester {
  return { userId, deviceId: null, isGuest: false, isAdmin: false, tokenId: "", puppetedBy: admin };
}

export class RoomShutdown {
  constructor(private readonly deps: RoomShutdownDeps) {}

  isLocal(userId: string): boolean {
    return parseUserId(userId)?.serverName === this.deps.serverName;
  }

  /** Refuses parameters Synapse refuses before it starts anything. */
  checkParams(p: ShutdownParams): void {
    if (p.newRoomUserId !== null && !this.isLocal(p.newRoomUserId)) {
      throw new MatrixError(400, "M_INVALID_PARAM", `User must be our own: ${p.newRoomUserId}`);
    }
  }

  /** `onProgress` sees the result each time it grows, for the status endpoints. */
  async shutdown(roomId: string, p: ShutdownParams, onProgress?: (r: ShutdownResult) => Promise<void>): Promise<ShutdownResult> {
    this.checkParams(p);
    const { rooms, blocked } = this.deps;
    const result: ShutdownResult = { kicked_users: [], failed_to_kick_users: [], local_aliases: [], new_room_id: null };
    if (p.block) await blocked.block(roomId, p.requesterUserId, this.deps.clock.now());
    if (!(await rooms.stores.rooms.get(roomId))) return result;

    if (p.newRoomUserId !== null) {
      // As in Synapse, the notice room's creator must be local but need not be registered.
      const created = await rooms.createRoom(actingAs(p.newRoomUserId, p.requesterUserId), {
        preset: "public_chat",
        name: p.roomName || DEFAULT_ROOM_NAME,
        power_level_content_override: { users_default: -10 },
      });
      result.new_room_id = created.roomId;
      await onProgress?.(result);
      log().info("Shutting down room {roomId}, joining to new room: {newRoomId}", { roomId, newRoomId: created.roomId });
    } else {
      log().info("Shutting down room {roomId}", { roomId });
    }

    const members = await rooms.stores.rooms.members(roomId);
    for (const m of members) {
      if (!this.isLocal(m.userId) || !["join", "invite", "knock"].includes(m.membership)) continue;
      log().info("Kicking {userId} from {roomId}...", { userId: m.userId, roomId });
      const as = actingAs(m.userId, p.requesterUserId);
      try {
        await rooms.membership.update(as, roomId, "leave", { ratelimit: false });
        await rooms.membership.forget(as, roomId);
        if (result.new_room_id !== null && m.membership === "join") {
          await rooms.membership.update(as, result.new_room_id, "join", { ratelimit: false });
        }
        result.kicked_users.push(m.userId);
      } catch (err) {
        log().error("Failed to leave old room and join new room for {userId}: {error}", { userId: m.userId, error: err });
        result.failed_to_kick_users.push(m.userId);
      }
      await onProgress?.(result);
    }

    if (p.newRoomUserId !== null && result.new_room_id !== null) {
      await rooms.events.create(result.new_room_id, [
        { type: "m.room.message", content: { body: p.message || DEFAULT_MESSAGE, msgtype: "m.text" }, sender: p.newRoomUserId },
      ]);
      // As Synapse: the room's local aliases now point at the notice room.
      result.local_aliases = (await rooms.aliases.moveAll?.(roomId, result.new_room_id, p.requesterUserId)) ?? [];
    }
    return result;
  }
}
