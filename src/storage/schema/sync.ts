import { sqliteTable, text, integer, index, primaryKey } from "drizzle-orm/sqlite-core";
import type { PushAction, PushCondition } from "../../push/types.ts";

/**
 * Tables of the sync concern: filters, the positions of the streams /sync
 * tokens point into, push rules, receipts, presence and per-user push actions.
 */

/** Filters a user uploaded; ids count up per user from 0, as in Synapse. */
export const userFilters = sqliteTable(
  "user_filters",
  {
    userId: text("user_id").notNull(),
    filterId: integer("filter_id").notNull(),
    filterJson: text("filter_json", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.filterId] })],
);

/**
 * The last position handed out on each named stream (receipts, presence,
 * account_data, ...). Incrementing the row inside the writing transaction
 * serialises writers of one stream on PostgreSQL, so positions commit in order
 * and a reader never sees position n+1 before n.
 */
export const streamPositions = sqliteTable("stream_positions", {
  stream: text("stream").primaryKey(),
  position: integer("position").notNull(),
});

/** A user's own push rules; server-default rules are not stored. */
export const pushRules = sqliteTable(
  "push_rules",
  {
    userId: text("user_id").notNull(),
    kind: text("kind").notNull(),
    ruleId: text("rule_id").notNull(),
    /** Higher is more important within a kind. */
    priority: integer("priority").notNull(),
    conditions: text("conditions", { mode: "json" }).$type<PushCondition[]>(),
    pattern: text("pattern"),
    actions: text("actions", { mode: "json" }).$type<PushAction[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.ruleId] })],
);

/** A user's changes to server-default rules (enabled, actions). */
export const pushRuleDefaultOverrides = sqliteTable(
  "push_rule_default_overrides",
  {
    userId: text("user_id").notNull(),
    kind: text("kind").notNull(),
    ruleId: text("rule_id").notNull(),
    enabled: integer("enabled", { mode: "boolean" }),
    actions: text("actions", { mode: "json" }).$type<PushAction[]>(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.ruleId] })],
);

/** The latest receipt of each (room, type, user, thread); `threadId` is "" for unthreaded receipts. */
export const receipts = sqliteTable(
  "receipts",
  {
    roomId: text("room_id").notNull(),
    receiptType: text("receipt_type").notNull(),
    userId: text("user_id").notNull(),
    threadId: text("thread_id").notNull(),
    eventId: text("event_id").notNull(),
    /** The receipted event's position on the events stream; unread counts start after it. */
    eventStreamOrdering: integer("event_stream_ordering").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    streamId: integer("stream_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.receiptType, t.userId, t.threadId] }),
    index("receipts_stream_id").on(t.streamId),
    index("receipts_room_stream").on(t.roomId, t.streamId),
    index("receipts_user_room").on(t.userId, t.roomId),
  ],
);

/** The last presence of each user who ever set one. */
export const presence = sqliteTable(
  "presence",
  {
    userId: text("user_id").primaryKey(),
    state: text("state").notNull(),
    statusMsg: text("status_msg"),
    lastActiveTs: integer("last_active_ts").notNull(),
    /** When a /sync of the user last held the connection; 0 when none is open. */
    lastSyncTs: integer("last_sync_ts").notNull(),
    currentlyActive: integer("currently_active", { mode: "boolean" }).notNull(),
    streamId: integer("stream_id").notNull(),
  },
  (t) => [index("presence_stream_id").on(t.streamId)],
);

/**
 * The push rule outcome of an event for one recipient, kept when it notifies
 * or highlights: unread counts and GET /notifications read it.
 */
export const eventPushActions = sqliteTable(
  "event_push_actions",
  {
    userId: text("user_id").notNull(),
    eventId: text("event_id").notNull(),
    roomId: text("room_id").notNull(),
    streamOrdering: integer("stream_ordering").notNull(),
    /** "main" for events outside threads, else the thread root's event id. */
    threadId: text("thread_id").notNull(),
    notif: integer("notif", { mode: "boolean" }).notNull(),
    highlight: integer("highlight", { mode: "boolean" }).notNull(),
    actions: text("actions", { mode: "json" }).$type<PushAction[]>().notNull(),
    ts: integer("ts").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.eventId] }),
    index("event_push_actions_user_room_stream").on(t.userId, t.roomId, t.streamOrdering),
    index("event_push_actions_user_stream").on(t.userId, t.streamOrdering),
    // The hourly retention prune selects by age: without it, a scan of every row.
    index("event_push_actions_ts").on(t.ts),
  ],
);

/**
 * The push outcome most recipients of an event got (when it notifies): one row
 * per event instead of one per member. It covers the local members joined when
 * the event was processed (see pushRoomMembers), except the sender and users
 * with their own row in eventPushActions, which then holds their outcome
 * (possibly "nothing", with notif and highlight false).
 */
export const eventPushDefaults = sqliteTable(
  "event_push_defaults",
  {
    // Keyed by the event's position: rows are appended in key order. No index by room: a
    // room's rows are read through its events (events_room_stream, then this key), so a
    // send writes this one b-tree page and no index page.
    streamOrdering: integer("stream_ordering").primaryKey(),
    eventId: text("event_id").notNull(),
    roomId: text("room_id").notNull(),
    threadId: text("thread_id").notNull(),
    sender: text("sender").notNull(),
    notif: integer("notif", { mode: "boolean" }).notNull(),
    highlight: integer("highlight", { mode: "boolean" }).notNull(),
    actions: text("actions", { mode: "json" }).$type<PushAction[]>().notNull(),
    /** When the outcome was written; grows with stream_ordering, which the age prune relies on. */
    ts: integer("ts").notNull(),
  },
);

/**
 * Since when each local user has been joined to a room, as push processing saw
 * it (events stream position of the join): events before it never count as
 * unread for them. Kept by the push processor, in event order.
 */
export const pushRoomMembers = sqliteTable(
  "push_room_members",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    sinceStream: integer("since_stream").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index("push_room_members_user").on(t.userId)],
);
