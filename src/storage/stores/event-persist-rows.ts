// The rows an event write puts in the database, built from the events to persist: event
// rows, and the current-state rows of the state events, member events' in the
// memberships (the last event of each key wins; keys the room had no row for are plain
// inserts, the others upserts).
import type { EventToPersist } from "./event-persist.ts";
import type { PreparedInsert } from "./sql-exec.ts";

/** Current state and membership rows of a write, by room, type and state key (the last event's). */
export interface StateRows {
  currentState: Map<string, unknown[]>;
  memberships: Map<string, unknown[]>;
  /** Keys (and so membership rows) the room had no row for before this write. */
  fresh: Set<string>;
}

/** What #writeRest writes of a StateRows: upserts, then the prepared inserts. */
export interface StateWrites {
  changedState: unknown[][];
  changedMembers: unknown[][];
  inserts: PreparedInsert[];
}

export function newStateRows(): StateRows {
  return { currentState: new Map(), memberships: new Map(), fresh: new Set() };
}

export function addStateRows(rows: StateRows, e: EventToPersist, streamOrdering: number): void {
  const key = `${e.roomId}\u0000${e.type}\u0000${e.stateKey}`;
  // Member events live in room_memberships alone (an authorised one always has a
  // membership); everything else in room_current_state.
  const member = e.type === "m.room.member";
  // The builder names the state event an event replaces; none means the room had
  // nothing under the key (its head holds the complete state, and every member it
  // authorises against).
  if (!(member ? rows.memberships : rows.currentState).has(key) && e.unsigned?.replaces_state === undefined) rows.fresh.add(key);
  if (!member) rows.currentState.set(key, [e.roomId, e.type, e.stateKey, e.eventId]);
  else if (e.membership !== null) {
    rows.memberships.set(key, [e.roomId, e.stateKey, e.membership, e.eventId, streamOrdering, e.sender, e.displayname, e.avatarUrl, false, e.banContent]);
  }
}

export function eventRow(e: EventToPersist, streamOrdering: number, stateGroup: number): unknown[] {
  return [
    streamOrdering,
    e.eventId,
    e.roomId,
    e.depth,
    e.type,
    e.stateKey,
    e.sender,
    e.originServerTs,
    e.membership,
    e.pduJson,
    e.unsigned ? JSON.stringify(e.unsigned) : null,
    stateGroup,
    e.relType,
    e.relatesTo,
    e.containsUrl,
    e.txn?.scope ?? null,
    e.txn?.txnId ?? null,
  ];
}

/** The rows whose keys are in `keys`, and the others. */
export function partition(rows: ReadonlyMap<string, unknown[]>, keys: ReadonlySet<string>): [unknown[][], unknown[][]] {
  const inside: unknown[][] = [];
  const outside: unknown[][] = [];
  for (const [key, row] of rows) (keys.has(key) ? inside : outside).push(row);
  return [inside, outside];
}

export const ROOM_COLUMNS = ["room_id", "room_version", "creator", "created_ts", "is_public", "room_type"];
export const CURRENT_STATE_COLUMNS = ["room_id", "type", "state_key", "event_id"];
export const CURRENT_STATE_UPSERT = "ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id";
export const MEMBERSHIP_COLUMNS = ["room_id", "user_id", "membership", "event_id", "stream_ordering", "sender", "displayname", "avatar_url", "forgotten", "ban_content"];
export const MEMBERSHIP_UPSERT = `ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id,
   stream_ordering = excluded.stream_ordering, sender = excluded.sender, displayname = excluded.displayname,
   avatar_url = excluded.avatar_url, forgotten = excluded.forgotten, ban_content = excluded.ban_content`;
export const EXTREMITY_COLUMNS = ["room_id", "event_id"];

export const EVENT_COLUMNS = [
  "stream_ordering",
  "event_id",
  "room_id",
  "depth",
  "type",
  "state_key",
  "sender",
  "origin_server_ts",
  "membership",
  "pdu",
  "unsigned",
  "state_group",
  "rel_type",
  "relates_to",
  "contains_url",
  "txn_scope",
  "txn_id",
];
