// The room fields of Synapse's room list and room details (its room_stats tables),
// computed from current state; plus the list's search, filters and orderings. Pure.

export const ROOM_ORDERS = [
  "alphabetical",
  "size",
  "name",
  "canonical_alias",
  "joined_members",
  "joined_local_members",
  "version",
  "creator",
  "encryption",
  "federatable",
  "public",
  "join_rules",
  "guest_access",
  "history_visibility",
  "state_events",
] as const;
export type RoomOrder = (typeof ROOM_ORDERS)[number];

/** State types the summary reads (all with state key ""). */
export const SUMMARY_STATE_TYPES = [
  "m.room.create",
  "m.room.name",
  "m.room.topic",
  "m.room.avatar",
  "m.room.canonical_alias",
  "m.room.join_rules",
  "m.room.guest_access",
  "m.room.history_visibility",
  "m.room.encryption",
  "m.room.tombstone",
] as const;

export interface RoomFacts {
  roomId: string;
  roomVersion: string;
  creator: string;
  isPublic: boolean;
  roomType: string | null;
  /** Content of each summary state event the room has. */
  state: Map<string, Record<string, unknown>>;
  joinedMembers: number;
  joinedLocalMembers: number;
  stateEvents: number;
}

export interface RoomListEntry {
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  version: string;
  creator: string;
  encryption: string | null;
  federatable: boolean;
  public: boolean;
  join_rules: string | null;
  guest_access: string | null;
  history_visibility: string | null;
  state_events: number;
  room_type: string | null;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

export function roomListEntry(f: RoomFacts): RoomListEntry {
  const c = (type: string) => f.state.get(type) ?? {};
  return {
    room_id: f.roomId,
    name: str(c("m.room.name").name),
    canonical_alias: str(c("m.room.canonical_alias").alias),
    joined_members: f.joinedMembers,
    joined_local_members: f.joinedLocalMembers,
    version: f.roomVersion,
    creator: f.creator,
    encryption: str(c("m.room.encryption").algorithm),
    // A room federates unless its create event says m.federate: false.
    federatable: c("m.room.create")["m.federate"] !== false,
    public: f.isPublic,
    join_rules: str(c("m.room.join_rules").join_rule),
    guest_access: str(c("m.room.guest_access").guest_access),
    history_visibility: str(c("m.room.history_visibility").history_visibility),
    state_events: f.stateEvents,
    room_type: f.roomType ?? str(c("m.room.create").type),
  };
}

/** The details endpoint's extra fields from state (the rest comes from elsewhere). */
export function roomDetailsFromState(f: RoomFacts): { topic: string | null; avatar: string | null; tombstoned: boolean; replacement_room: string | null } {
  const tombstone = f.state.get("m.room.tombstone");
  return {
    topic: str(f.state.get("m.room.topic")?.topic),
    avatar: str(f.state.get("m.room.avatar")?.url),
    tombstoned: tombstone !== undefined,
    replacement_room: tombstone ? str(tombstone.replacement_room) : null,
  };
}

export interface RoomListQuery {
  searchTerm?: string;
  publicRooms?: boolean;
  emptyRooms?: boolean;
  orderBy: RoomOrder;
  dir: "f" | "b";
}

/** Synapse's search: the name or the alias's localpart contains the term (case-insensitive), or the room id is it. */
export function matchesSearch(r: RoomListEntry, term: string): boolean {
  const t = term.toLowerCase();
  if (r.room_id === term) return true;
  if (r.name !== null && r.name.toLowerCase().includes(t)) return true;
  if (r.canonical_alias !== null) {
    const alias = r.canonical_alias.toLowerCase();
    const colon = alias.indexOf(":");
    if (alias.startsWith("#") && colon > 0 && alias.slice(1, colon).includes(t)) return true;
  }
  return false;
}

type Key = string | number | boolean | null;

/** The column an order reads, and whether its natural ("forwards") direction is descending. */
const ORDERS: Record<RoomOrder, { key: (r: RoomListEntry) => Key; descending: boolean }> = {
  alphabetical: { key: (r) => r.name, descending: false },
  name: { key: (r) => r.name, descending: false },
  size: { key: (r) => r.joined_members, descending: true },
  joined_members: { key: (r) => r.joined_members, descending: true },
  joined_local_members: { key: (r) => r.joined_local_members, descending: true },
  canonical_alias: { key: (r) => r.canonical_alias, descending: false },
  version: { key: (r) => r.version, descending: true },
  creator: { key: (r) => r.creator, descending: false },
  encryption: { key: (r) => r.encryption, descending: false },
  federatable: { key: (r) => r.federatable, descending: false },
  public: { key: (r) => r.public, descending: false },
  join_rules: { key: (r) => r.join_rules, descending: false },
  guest_access: { key: (r) => r.guest_access, descending: false },
  history_visibility: { key: (r) => r.history_visibility, descending: false },
  state_events: { key: (r) => r.state_events, descending: true },
};

/** Nulls sort before every value, as SQLite does; ties by room id in the same direction. */
function compare(a: Key, b: Key): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : 1;
  return Number(a) - Number(b);
}

export function filterAndSortRooms(rooms: RoomListEntry[], q: RoomListQuery): RoomListEntry[] {
  let out = rooms;
  if (q.searchTerm !== undefined) out = out.filter((r) => matchesSearch(r, q.searchTerm!));
  if (q.publicRooms !== undefined) out = out.filter((r) => r.public === q.publicRooms);
  if (q.emptyRooms !== undefined) out = out.filter((r) => (r.joined_members === 0) === q.emptyRooms);
  const order = ORDERS[q.orderBy];
  const sign = order.descending !== (q.dir === "b") ? -1 : 1;
  return [...out].sort((a, b) => sign * (compare(order.key(a), order.key(b)) || compare(a.room_id, b.room_id)));
}
