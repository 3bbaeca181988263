// Local joins to rooms with the `restricted` or `knock_restricted` join rule: a user who
// is neither invited nor joined may join when they are in one of the rooms the rule
// allows, and the join must name a local member who could have invited them
// (`join_authorised_via_users_server`), so the authorisation rules can check it.
import { MatrixError, forbidden } from "../http/errors.ts";
import { stateKey } from "../matrix/events.ts";
import { namedPowerLevel, userPowerLevel } from "../matrix/power-levels.ts";
import type { RoomDirectoryStore } from "../storage/stores/room-directory.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import { powerState } from "./directory-permissions.ts";
import type { RoomHead } from "./room-head.ts";

export interface RestrictedJoinDeps {
  serverName: string;
  rooms: RoomsStore;
  directory: RoomDirectoryStore;
}

/** The room ids a restricted join rule's `allow` list accepts membership of. */
export function allowedRoomIds(joinRules: Record<string, unknown> | undefined): string[] {
  const allow = joinRules?.allow;
  if (!Array.isArray(allow)) return [];
  const out: string[] = [];
  for (const a of allow) {
    if (typeof a !== "object" || a === null) continue;
    const { type, room_id } = a as Record<string, unknown>;
    if (type === "m.room_membership" && typeof room_id === "string") out.push(room_id);
  }
  return out;
}

export function isRestricted(head: RoomHead): boolean {
  const rule = head.state.get(stateKey("m.room.join_rules", ""))?.pdu.content?.join_rule;
  const rv = head.roomVersion;
  return (rv.restrictedJoinRule && rule === "restricted") || (rv.knockRestrictedJoinRule && rule === "knock_restricted");
}

export class RestrictedJoins {
  constructor(private readonly deps: RestrictedJoinDeps) {}

  /**
   * For a join by a user who is neither joined nor invited: the authorising local user
   * when the room is restricted (undefined when it is not). 403 when the user is in
   * none of the allowed rooms; 400 M_UNABLE_TO_GRANT_JOIN when no local member can invite.
   */
  async authoriserFor(head: RoomHead, userId: string): Promise<string | undefined> {
    if (!isRestricted(head)) return undefined;
    const allowed = allowedRoomIds(head.state.get(stateKey("m.room.join_rules", ""))?.pdu.content);
    let inAllowedRoom = false;
    for (const roomId of allowed) {
      if ((await this.deps.rooms.membership(roomId, userId))?.membership === "join") {
        inAllowedRoom = true;
        break;
      }
    }
    if (!inAllowedRoom) throw forbidden("You do not belong to any of the required rooms/spaces to join this room.");

    const state = powerState(head);
    let best: { userId: string; level: number } | undefined;
    for (const candidate of await this.deps.directory.localJoinedMembers(head.roomId, this.deps.serverName)) {
      const level = userPowerLevel(state, candidate, head.roomVersion);
      if (!best || level > best.level) best = { userId: candidate, level };
    }
    if (!best || best.level < namedPowerLevel(state, "invite")) {
      throw new MatrixError(400, "M_UNABLE_TO_GRANT_JOIN", "Unable to find a user which could issue an invite");
    }
    return best.userId;
  }
}
