// Who may edit a room's directory entries (publish it, delete others' aliases): server
// admins, and joined users with the power to send m.room.canonical_alias (Synapse's
// check_can_change_room_list).
import type { Requester } from "../http/context.ts";
import { stateKey, type StateMap } from "../matrix/events.ts";
import { requiredEventPowerLevel, userPowerLevel } from "../matrix/power-levels.ts";
import { membershipOf, type RoomHead, type RoomHeadCache } from "./room-head.ts";

export type DirectoryPermission = "allowed" | "not_in_room" | "insufficient_power";

/** Create and power levels of the head: what power checks read. */
export function powerState(head: RoomHead): StateMap {
  const state: StateMap = new Map([[stateKey("m.room.create", ""), head.create]]);
  const pl = head.state.get(stateKey("m.room.power_levels", ""));
  if (pl) state.set(stateKey("m.room.power_levels", ""), pl);
  return state;
}

export async function directoryPermission(heads: RoomHeadCache, requester: Requester, roomId: string): Promise<DirectoryPermission> {
  if (requester.isAdmin) return "allowed";
  const head = await heads.get(roomId);
  if (!head) return "not_in_room";
  await heads.loadMembers(head, [requester.userId]);
  if (membershipOf(head, requester.userId) !== "join") return "not_in_room";
  const state = powerState(head);
  const needed = requiredEventPowerLevel(state, "m.room.canonical_alias", true);
  return userPowerLevel(state, requester.userId, head.roomVersion) >= needed ? "allowed" : "insufficient_power";
}
