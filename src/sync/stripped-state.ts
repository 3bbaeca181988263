import { parsePdu } from "../rooms/client-format.ts";
import type { JsonEvent, SyncDeps } from "./context.ts";

/** The state an invitee or knocker sees of a room they are not in (Synapse's default room_prejoin_state). */
export const PREJOIN_STATE_TYPES = [
  "m.room.create",
  "m.room.join_rules",
  "m.room.canonical_alias",
  "m.room.avatar",
  "m.room.encryption",
  "m.room.name",
  "m.room.topic",
];

/**
 * `invite_state` / `knock_state`: the stripped state stored with the member
 * event when there is one (`unsigned.invite_room_state`, from federation),
 * else the room's current state of the prejoin types; plus the member event.
 */
export async function strippedState(deps: Pick<SyncDeps, "events" | "rooms">, roomId: string, memberEventId: string): Promise<JsonEvent[]> {
  const member = await deps.events.get(memberEventId);
  const out: JsonEvent[] = [];
  const unsigned = member?.unsigned ? (JSON.parse(member.unsigned) as Record<string, unknown>) : {};
  const stored = unsigned.invite_room_state ?? unsigned.knock_room_state;
  if (Array.isArray(stored)) {
    for (const e of stored) if (typeof e === "object" && e !== null) out.push(e as JsonEvent);
  } else {
    for (const row of await deps.rooms.currentState(roomId, { types: PREJOIN_STATE_TYPES })) {
      const pdu = parsePdu(row);
      out.push({ type: row.type, state_key: row.stateKey, content: pdu.content ?? {}, sender: pdu.sender });
    }
  }
  if (member) {
    const pdu = parsePdu(member);
    out.push({
      type: member.type,
      state_key: member.stateKey ?? "",
      content: pdu.content ?? {},
      sender: member.sender,
      event_id: member.eventId,
      origin_server_ts: member.originServerTs,
    });
  }
  return out;
}
