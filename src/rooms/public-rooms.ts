// The published room list (client-server "Room discovery"), pure: a room's entry from
// its state, which published rooms are listed (Synapse: joinable without an invite or
// world-readable, with someone in it), the search and room-type filters, the order
// (most joined members first, then room id, both descending, as Synapse) and the
// pagination tokens, which name the last room seen and the direction.
import { invalidParam } from "../http/errors.ts";

export interface PublicRoomEntry {
  room_id: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  avatar_url?: string;
  join_rule?: string;
  room_type?: string;
}

/** What the list needs to know about a published room. */
export interface PublishedRoomFacts {
  roomId: string;
  roomType: string | null;
  joinedMembers: number;
  /** Content of the room's current state event of each DIRECTORY_STATE_TYPES type. */
  state: Map<string, Record<string, unknown>>;
}

export const DIRECTORY_STATE_TYPES = [
  "m.room.name",
  "m.room.topic",
  "m.room.canonical_alias",
  "m.room.avatar",
  "m.room.join_rules",
  "m.room.history_visibility",
  "m.room.guest_access",
];

const LISTED_JOIN_RULES = new Set(["public", "knock", "knock_restricted"]);

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The plain-text topic: the text/plain representation in m.topic, else `topic`. */
export function plainTextTopic(content: Record<string, unknown>): string | undefined {
  const mTopic = content["m.topic"];
  const texts = typeof mTopic === "object" && mTopic !== null ? (mTopic as Record<string, unknown>)["m.text"] : undefined;
  if (Array.isArray(texts)) {
    for (const t of texts) {
      if (typeof t !== "object" || t === null) continue;
      const { mimetype, body } = t as Record<string, unknown>;
      if ((mimetype === undefined || mimetype === "text/plain") && typeof body === "string") return str(body);
    }
  }
  return str(content.topic);
}

export function publicRoomEntry(f: PublishedRoomFacts): PublicRoomEntry {
  const c = (type: string) => f.state.get(type) ?? {};
  const entry: PublicRoomEntry = {
    room_id: f.roomId,
    num_joined_members: f.joinedMembers,
    world_readable: c("m.room.history_visibility").history_visibility === "world_readable",
    guest_can_join: c("m.room.guest_access").guest_access === "can_join",
  };
  const optional: Array<[keyof PublicRoomEntry, string | undefined]> = [
    ["name", str(c("m.room.name").name)],
    ["topic", plainTextTopic(c("m.room.topic"))],
    ["canonical_alias", str(c("m.room.canonical_alias").alias)],
    ["avatar_url", str(c("m.room.avatar").url)],
    ["join_rule", str(c("m.room.join_rules").join_rule)],
    ["room_type", f.roomType ?? undefined],
  ];
  for (const [k, v] of optional) if (v !== undefined) (entry as unknown as Record<string, unknown>)[k] = v;
  return entry;
}

/** Published rooms appear only when someone is in them and they can be joined or read. */
export function isListed(e: PublicRoomEntry): boolean {
  return e.num_joined_members > 0 && ((e.join_rule !== undefined && LISTED_JOIN_RULES.has(e.join_rule)) || e.world_readable);
}

export interface PublicRoomsFilter {
  generic_search_term?: string;
  /** null stands for rooms without a type; empty or absent: every type. */
  room_types?: Array<string | null>;
}

export function matchesRoomTypes(e: PublicRoomEntry, types: Array<string | null> | undefined): boolean {
  if (!types || types.length === 0) return true;
  return types.includes(e.room_type ?? null);
}

/** Case-insensitive substring of the name, topic or canonical alias (Synapse's LIKE). */
export function matchesSearch(e: PublicRoomEntry, term: string | undefined): boolean {
  if (term === undefined || term === "") return true;
  const t = term.toLowerCase();
  return [e.name, e.topic, e.canonical_alias].some((v) => v !== undefined && v.toLowerCase().includes(t));
}

/** Most members first, then room id, both descending. */
export function compareEntries(a: PublicRoomEntry, b: PublicRoomEntry): number {
  if (a.num_joined_members !== b.num_joined_members) return b.num_joined_members - a.num_joined_members;
  return a.room_id < b.room_id ? 1 : a.room_id > b.room_id ? -1 : 0;
}

export interface ListToken {
  joined: number;
  roomId: string;
  forwards: boolean;
}

export function encodeListToken(t: ListToken): string {
  return Buffer.from(JSON.stringify([t.forwards ? "f" : "b", t.joined, t.roomId])).toString("base64url");
}

export function decodeListToken(raw: string): ListToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw invalidParam("Invalid pagination token");
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalidParam("Invalid pagination token");
  const [dir, joined, roomId] = parsed as unknown[];
  if ((dir !== "f" && dir !== "b") || !Number.isSafeInteger(joined) || typeof roomId !== "string") {
    throw invalidParam("Invalid pagination token");
  }
  return { forwards: dir === "f", joined: joined as number, roomId };
}

export interface PublicRoomsPage {
  chunk: PublicRoomEntry[];
  next_batch?: string;
  prev_batch?: string;
}

/**
 * One page of `sorted` (in compareEntries order). A forwards token continues after the
 * room it names, a backwards one ends before it; the page links both ways like Synapse's.
 */
export function pageOf(sorted: PublicRoomEntry[], limit: number | undefined, since: ListToken | undefined): PublicRoomsPage {
  const forwards = since?.forwards ?? true;
  const at = since ? { room_id: since.roomId, num_joined_members: since.joined } : undefined;
  // Index of the first room ordered after the token's room.
  const after = at ? sorted.findIndex((e) => compareEntries(e, at as PublicRoomEntry) > 0) : 0;
  const boundary = after < 0 ? sorted.length : after;
  let chunk: PublicRoomEntry[];
  let more: boolean;
  if (forwards) {
    const end = limit === undefined ? sorted.length : Math.min(sorted.length, boundary + limit);
    chunk = sorted.slice(boundary, end);
    more = end < sorted.length;
  } else {
    // Rooms strictly before the token's room.
    const before = at ? sorted.findIndex((e) => compareEntries(e, at as PublicRoomEntry) >= 0) : sorted.length;
    const end = before < 0 ? sorted.length : before;
    const start = limit === undefined ? 0 : Math.max(0, end - limit);
    chunk = sorted.slice(start, end);
    more = start > 0;
  }
  const page: PublicRoomsPage = { chunk };
  const first = chunk[0];
  const last = chunk.at(-1);
  const token = (e: PublicRoomEntry, fwd: boolean) => encodeListToken({ joined: e.num_joined_members, roomId: e.room_id, forwards: fwd });
  if (forwards) {
    if (since && first) page.prev_batch = token(first, false);
    if (more && last) page.next_batch = token(last, true);
  } else {
    if (since && last) page.next_batch = token(last, true);
    if (more && first) page.prev_batch = token(first, false);
  }
  return page;
}
