// Auth events selection (server-server API "Auth events selection") and the checks the
// auth rules make on an event's own auth_events (rule 2 up to v11, rule 3 in v12).
import { reject } from "./auth-error.ts";
import { authEventIds, createEventIdForRoom, stateKey, type PDU, type StateMap, type StoredEvent } from "./events.ts";
import type { RoomVersion } from "./room-versions.ts";

/** The state keys (stateKey(type, state_key)) whose current events an event should cite. */
export function authStateKeysFor(
  type: string,
  eventStateKey: string | undefined,
  sender: string,
  content: Record<string, unknown>,
  roomVersion: RoomVersion,
): string[] {
  if (type === "m.room.create") return [];
  const keys: string[] = [];
  if (roomVersion.createEventInAuthEvents) keys.push(stateKey("m.room.create", ""));
  keys.push(stateKey("m.room.power_levels", ""), stateKey("m.room.member", sender));
  if (type === "m.room.member" && typeof eventStateKey === "string") {
    const membership = content?.membership;
    if (eventStateKey !== sender) keys.push(stateKey("m.room.member", eventStateKey));
    if (membership === "join" || membership === "invite" || membership === "knock") {
      keys.push(stateKey("m.room.join_rules", ""));
    }
    const token = thirdPartyInviteToken(content);
    if (membership === "invite" && token !== undefined) {
      keys.push(stateKey("m.room.third_party_invite", token));
    }
    const authoriser = content?.join_authorised_via_users_server;
    if (membership === "join" && roomVersion.restrictedJoinRule && typeof authoriser === "string") {
      const key = stateKey("m.room.member", authoriser);
      if (!keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}

function thirdPartyInviteToken(content: Record<string, unknown>): string | undefined {
  const tpi = content?.third_party_invite as { signed?: { token?: unknown } } | undefined;
  const token = typeof tpi === "object" && tpi !== null ? tpi.signed?.token : undefined;
  return typeof token === "string" ? token : undefined;
}

/** The ids of the events in `state` a new event should list as its auth_events. */
export function selectAuthEvents(
  type: string,
  eventStateKey: string | undefined,
  sender: string,
  content: Record<string, unknown>,
  state: StateMap,
  roomVersion: RoomVersion,
): string[] {
  const ids: string[] = [];
  for (const key of authStateKeysFor(type, eventStateKey, sender, content, roomVersion)) {
    const entry = state.get(key);
    if (entry) ids.push(entry.eventId);
  }
  return ids;
}

/**
 * Checks an event's auth_events (duplicates, unexpected entries, rejected entries, wrong
 * room, missing create) and returns them as the state map to run authorizeEvent against.
 * `authEvents` are the fetched events the event cites. In v12+ the create event is not
 * cited, so pass it as `createEvent`; it is added to the returned map.
 */
export function authStateFromAuthEvents(
  event: PDU,
  authEvents: readonly StoredEvent[],
  roomVersion: RoomVersion,
  opts: { createEvent?: StoredEvent; isRejected?: (eventId: string) => boolean } = {},
): StateMap {
  const state: StateMap = new Map();
  if (event.type === "m.room.create") return state;
  const byId = new Map(authEvents.map((e) => [e.eventId, e]));
  const expected = new Set(
    authStateKeysFor(event.type, event.state_key, event.sender, event.content ?? {}, roomVersion),
  );
  for (const id of authEventIds(event)) {
    const authEvent = byId.get(id);
    if (!authEvent) reject(`auth event ${id} is unknown`);
    const { pdu } = authEvent;
    if (typeof pdu.state_key !== "string") reject(`auth event ${id} is not a state event`);
    const key = stateKey(pdu.type, pdu.state_key);
    if (state.has(key)) reject(`duplicate auth events for (${pdu.type}, ${pdu.state_key})`);
    if (!expected.has(key)) reject(`unexpected auth event for (${pdu.type}, ${pdu.state_key})`);
    if (opts.isRejected?.(id)) reject(`auth event ${id} was rejected`);
    if (pdu.room_id !== event.room_id) reject(`auth event ${id} belongs to another room`);
    state.set(key, authEvent);
  }
  const createKey = stateKey("m.room.create", "");
  if (roomVersion.createEventInAuthEvents) {
    if (!state.has(createKey)) reject("no m.room.create event among the auth events");
  } else {
    const create = opts.createEvent;
    if (!create || typeof event.room_id !== "string" || create.eventId !== createEventIdForRoom(event.room_id)) {
      reject("room_id does not name a known m.room.create event");
    }
    if (opts.isRejected?.(create.eventId)) reject("the room's m.room.create event was rejected");
    state.set(createKey, create);
  }
  return state;
}
