// THE list of tables that hold a room's data, in the order a room purge empties them
// (rows that point at other rows first, `rooms` last). The purge iterates it, and so does
// its test, which also derives every table with a `room_id` or `event_id` column from the
// schema and fails when one is in neither list below: a new room table cannot be
// forgotten silently. Keys are the table's export name in src/storage/schema/.
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Tables } from "../storage/database.ts";

export type TableName = Extract<keyof Tables, string>;

/** How a purge finds the room's rows in a table. */
export type RoomKey =
  /** WHERE room_id = ? */
  | { kind: "room_id" }
  /** WHERE <column> IN (SELECT <parentColumn> FROM <parent> WHERE room_id = ?) */
  | { kind: "via"; column: string; parent: TableName; parentColumn: string };

export interface PurgeStep {
  table: TableName;
  key: RoomKey;
}

const byRoomId = (table: TableName): PurgeStep => ({ table, key: { kind: "room_id" } });

export const PURGE_ROOM_TABLES: readonly PurgeStep[] = Object.freeze([
  // State groups' entries, found through the room's groups (before the groups go).
  { table: "stateGroupEntries", key: { kind: "via", column: "group_id", parent: "stateGroups", parentColumn: "id" } },
  byRoomId("eventPushActions"),
  // Found through the room's events (no index by room): before the events go.
  { table: "eventPushDefaults", key: { kind: "via", column: "stream_ordering", parent: "events", parentColumn: "stream_ordering" } },
  byRoomId("pushRoomMembers"),
  byRoomId("receipts"),
  byRoomId("roomCurrentState"),
  byRoomId("roomForwardExtremities"),
  byRoomId("roomMemberships"),
  // Per-room account data (global account data has room_id "").
  byRoomId("accountData"),
  // Server-side key backups of the room's sessions, as Synapse's e2e_room_keys.
  byRoomId("e2eRoomKeys"),
  // Local aliases of the room (Synapse purges room_aliases too).
  byRoomId("roomAliases"),
  byRoomId("events"),
  byRoomId("stateGroups"),
  byRoomId("rooms"),
] satisfies PurgeStep[]);

/** Tables with a room_id (or event_id) column that a purge deliberately leaves alone, and why. */
export const KEPT_ROOM_TABLES: Readonly<Partial<Record<TableName, string>>> = Object.freeze({
  blockedRooms: "a purged room stays blocked",
  eventReports: "abuse reports are kept for moderation",
  adminTasks: "the status of the deletion itself is answered for a day",
});

/**
 * Tables of `schema` (export name → table) with a `room_id` or `event_id` column that
 * are neither purged nor deliberately kept. The purge's test asserts this is empty for
 * the real schema, so a new room table cannot be added without deciding its fate here.
 */
export function uncoveredRoomTables(schema: Record<string, unknown>): string[] {
  const covered = new Set<string>([...PURGE_ROOM_TABLES.map((s) => s.table), ...Object.keys(KEPT_ROOM_TABLES)]);
  const out: string[] = [];
  for (const [name, table] of Object.entries(schema)) {
    if (!is(table, SQLiteTable)) continue;
    const columns = getTableConfig(table).columns.map((c) => c.name);
    if ((columns.includes("room_id") || columns.includes("event_id")) && !covered.has(name)) out.push(name);
  }
  return out;
}
