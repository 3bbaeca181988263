// Who may read a room (Synapse's check_user_in_room_or_world_readable): joined users,
// departed users who have not forgotten the room (when the endpoint allows them), and
// anyone when the room is world-readable.
import { forbidden } from "../http/errors.ts";
import type { MembershipRow, RoomsStore } from "../storage/stores/rooms.ts";
import type { RoomHeadCache } from "./room-head.ts";

export interface RoomAccess {
  /** "join" for joined users and for world-readable previews. */
  membership: string;
  /** The user's membership row; absent when they read as a preview. */
  member?: MembershipRow;
  /** The user has no membership event: a world-readable preview. */
  isPeeking: boolean;
}

export class RoomAccessChecker {
  constructor(
    private readonly heads: RoomHeadCache,
    private readonly rooms: RoomsStore,
  ) {}

  async check(roomId: string, userId: string, opts: { allowDeparted: boolean }): Promise<RoomAccess> {
    const head = await this.heads.get(roomId);
    if (!head) throw forbidden(`User ${userId} not in room ${roomId}, and room previews are disabled`);
    const member = await this.rooms.membership(roomId, userId);
    if (member?.membership === "join") return { membership: "join", member, isPeeking: false };
    if (opts.allowDeparted && member?.membership === "leave" && !member.forgotten) {
      return { membership: "leave", member, isPeeking: false };
    }
    const hv = head.state.get("m.room.history_visibility\u0000")?.pdu.content?.history_visibility;
    if (hv === "world_readable") return { membership: "join", isPeeking: true };
    throw forbidden(`User ${userId} not in room ${roomId}, and room previews are disabled`);
  }

  /** Whether the user is joined now (for /event and /context, where others are "peeking"). */
  async isJoined(roomId: string, userId: string): Promise<boolean> {
    return (await this.rooms.membership(roomId, userId))?.membership === "join";
  }
}
