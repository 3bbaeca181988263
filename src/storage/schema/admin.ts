// Tables of the admin API: blocked rooms, abuse reports, erased users and the status of
// admin background tasks (room deletions, history purges). Room purges deliberately keep
// the rows of blocked_rooms, event_reports and admin_tasks (src/admin/room-tables.ts).
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

/** Rooms nobody on this server may join or be invited to; kept when the room is purged. */
export const blockedRooms = sqliteTable("blocked_rooms", {
  roomId: text("room_id").primaryKey(),
  /** The admin who blocked it. */
  userId: text("user_id").notNull(),
  createdTs: integer("created_ts").notNull(),
});

/** Reports of events (client `POST /rooms/{roomId}/report/{eventId}`); kept for abuse handling. */
export const eventReports = sqliteTable(
  "event_reports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    receivedTs: integer("received_ts").notNull(),
    roomId: text("room_id").notNull(),
    eventId: text("event_id").notNull(),
    /** The reporter. */
    userId: text("user_id").notNull(),
    /** The reported event's sender, stored so the report outlives a purge of the event. */
    eventSender: text("event_sender").notNull(),
    reason: text("reason"),
    score: integer("score"),
  },
  (t) => [
    index("event_reports_room").on(t.roomId, t.id),
    index("event_reports_user").on(t.userId, t.id),
    index("event_reports_sender").on(t.eventSender, t.id),
  ],
);

/** Users deactivated with `erase`: their profile is gone and they stay marked. */
export const erasedUsers = sqliteTable("erased_users", {
  userId: text("user_id").primaryKey(),
  erasedTs: integer("erased_ts").notNull(),
});

/**
 * Admin background tasks and their outcome (room deletion, history purge). Finished
 * tasks are answered for a day, then deleted. In the database, not in memory, so any
 * process sharing it can answer a status query.
 */
export const adminTasks = sqliteTable(
  "admin_tasks",
  {
    id: text("id").primaryKey(),
    /** "shutdown_and_purge_room" | "purge_history". */
    kind: text("kind").notNull(),
    roomId: text("room_id").notNull(),
    /** scheduled | active | complete | failed */
    status: text("status").notNull(),
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    error: text("error"),
    createdTs: integer("created_ts").notNull(),
    updatedTs: integer("updated_ts").notNull(),
  },
  (t) => [index("admin_tasks_room").on(t.roomId, t.kind), index("admin_tasks_updated").on(t.updatedTs)],
);
