// Rooms and their events.
//
// Orderings. `events.stream_ordering` is the global position used by /sync and stream
// tokens (`s<n>`); `events.depth` is the topological ordering used by /messages (tokens
// `t<depth>-<stream>`). Stream orderings and state group ids come from the
// `stream_positions` rows "events" and "state_groups" (schema/sync.ts), bumped inside the
// writing transaction: on PostgreSQL the row lock also makes writers commit in stream
// order, so a reader never sees position n+1 before n, even with several processes.
//
// State at any event: state groups. Every event records `state_group`, the state
// *after* it (for a non-state event the same as before). A state event starts a new
// group that stores only its own (type, state_key) → event_id and points at the previous
// group (`prev_group`); every so often a group instead stores the complete state
// (`prev_group` null), so a lookup walks a bounded chain. The chain may grow to
// max(100, base snapshot size / 8) hops, which keeps snapshots of big rooms rare (their
// total size grows linearly, not quadratically, with the number of state events) and
// lookups of a few keys (history visibility) cheap. Groups never change once written.
//
// Current state (`room_current_state`) and current membership (`room_memberships`) are
// written in the same transaction as the event that changes them. Member events are in
// `room_memberships` only (since migration 0008): a membership change writes one row, not
// two, and a room upgrade's 10,000 copied bans 10,000 rows fewer.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, primaryKey, uniqueIndex } from "drizzle-orm/sqlite-core";

export const rooms = sqliteTable(
  "rooms",
  {
    roomId: text("room_id").primaryKey(),
    roomVersion: text("room_version").notNull(),
    creator: text("creator").notNull(),
    createdTs: integer("created_ts").notNull(),
    /** Published in the room directory. */
    isPublic: integer("is_public", { mode: "boolean" }).notNull().default(false),
    /** The create event's `type` (e.g. m.space), for the directory and hierarchy. */
    roomType: text("room_type"),
  },
  (t) => [index("rooms_is_public").on(t.isPublic)],
);

export const events = sqliteTable(
  "events",
  {
    streamOrdering: integer("stream_ordering").primaryKey(),
    eventId: text("event_id").notNull(),
    roomId: text("room_id").notNull(),
    /** Topological ordering. */
    depth: integer("depth").notNull(),
    type: text("type").notNull(),
    stateKey: text("state_key"),
    sender: text("sender").notNull(),
    originServerTs: integer("origin_server_ts").notNull(),
    /** content.membership of m.room.member events, for membership queries. */
    membership: text("membership"),
    /** The federation form of the event (canonical JSON text, as signed). */
    pdu: text("pdu").notNull(),
    /** Client `unsigned` fixed at creation (prev_content, prev_sender, replaces_state), JSON text. */
    unsigned: text("unsigned"),
    /** State after this event. */
    stateGroup: integer("state_group").notNull(),
    /** The redaction event that applies to this event, when there is one. */
    redactedBy: text("redacted_by"),
    /** content.m.relates_to.rel_type / event_id. */
    relType: text("rel_type"),
    relatesTo: text("relates_to"),
    containsUrl: integer("contains_url", { mode: "boolean" }).notNull().default(false),
    /**
     * The sender's transaction scope (`d:<user>|<device>` when the token has a device,
     * else `t:<token id>`) and id: a retried send finds its event through events_txn, and
     * the sender's own copy gets `unsigned.transaction_id`. Kept with the event rather
     * than in a table of their own, so a send writes one index entry for them, not a row
     * and two index entries; a retry is answered for as long as the event exists.
     */
    txnScope: text("txn_scope"),
    txnId: text("txn_id"),
  },
  (t) => [
    uniqueIndex("events_event_id").on(t.eventId),
    index("events_room_topo").on(t.roomId, t.depth, t.streamOrdering),
    index("events_room_stream").on(t.roomId, t.streamOrdering),
    index("events_room_ts").on(t.roomId, t.originServerTs),
    // Partial (on both databases): most events are plain messages, and an index entry
    // each would be a page written per commit.
    index("events_relates_to").on(t.relatesTo, t.relType, t.streamOrdering).where(sql`relates_to IS NOT NULL`),
    index("events_room_threads").on(t.roomId, t.relType, t.relatesTo, t.streamOrdering).where(sql`rel_type IS NOT NULL`),
    index("events_member_changes").on(t.stateKey, t.type, t.streamOrdering).where(sql`state_key IS NOT NULL`),
    // Unique: the event insert itself refuses a repeated transaction id (see
    // EventPersistStore.persist), so a send needs no lookup of its own. The id before the
    // scope: clients' ids start with the time (matrix-js-sdk's `m<ms>.<n>`), so the sends of
    // a room's members land on the index's last page rather than one page per sender.
    uniqueIndex("events_txn").on(t.roomId, t.txnId, t.txnScope).where(sql`txn_id IS NOT NULL`),
  ],
);

/** Current state other than member events (those are in room_memberships). */
export const roomCurrentState = sqliteTable(
  "room_current_state",
  {
    roomId: text("room_id").notNull(),
    type: text("type").notNull(),
    stateKey: text("state_key").notNull(),
    eventId: text("event_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.type, t.stateKey] })],
);

/** Current membership of every user who has one in a room. */
export const roomMemberships = sqliteTable(
  "room_memberships",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    membership: text("membership").notNull(),
    eventId: text("event_id").notNull(),
    streamOrdering: integer("stream_ordering").notNull(),
    sender: text("sender").notNull(),
    displayname: text("displayname"),
    avatarUrl: text("avatar_url"),
    /** Set by /forget; cleared by the next membership change. */
    forgotten: integer("forgotten", { mode: "boolean" }).notNull().default(false),
    /**
     * A ban's event content as JSON text (null for other memberships): a room upgrade
     * copies every ban from here, through the room's index, without reading the events.
     */
    banContent: text("ban_content"),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.userId] }),
    index("room_memberships_user").on(t.userId, t.membership),
    index("room_memberships_room").on(t.roomId, t.membership),
  ],
);

/** SQLite tables made WITHOUT ROWID by hand-written migrations (the schema builder cannot say so). */
export const SQLITE_WITHOUT_ROWID: ReadonlySet<string> = new Set(["room_forward_extremities"]);

/**
 * On SQLite a WITHOUT ROWID table (drizzle/sqlite/0004), so replacing a room's
 * extremities writes one page per commit, not two.
 */
export const roomForwardExtremities = sqliteTable(
  "room_forward_extremities",
  {
    roomId: text("room_id").notNull(),
    eventId: text("event_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.eventId] })],
);

export const stateGroups = sqliteTable(
  "state_groups",
  {
    id: integer("id").primaryKey(),
    roomId: text("room_id").notNull(),
    /** Null for a full snapshot. */
    prevGroup: integer("prev_group"),
    /** Groups between this one and its snapshot. */
    hops: integer("hops").notNull(),
    /** Entries in the snapshot this chain starts from. */
    baseSize: integer("base_size").notNull(),
  },
  (t) => [index("state_groups_room").on(t.roomId)],
);

export const stateGroupEntries = sqliteTable(
  "state_group_entries",
  {
    groupId: integer("group_id").notNull(),
    type: text("type").notNull(),
    stateKey: text("state_key").notNull(),
    eventId: text("event_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.type, t.stateKey] })],
);
