import { eq, inArray, is } from "drizzle-orm";
import { getTableConfig, SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as schema from "../../src/storage/schema/index.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import type { Database } from "../../src/storage/database.ts";
import { PURGE_ROOM_TABLES, type PurgeStep } from "../../src/admin/room-tables.ts";

let seq = 0;

export async function createRoom(t: TestHomeserver, token: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.request("POST", "/_matrix/client/v3/createRoom", { token, body });
  if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id;
}

export async function join(t: TestHomeserver, token: string, roomId: string): Promise<void> {
  const res = await t.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, { token, body: {} });
  if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function invite(t: TestHomeserver, token: string, roomId: string, userId: string): Promise<void> {
  const res = await t.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, { token, body: { user_id: userId } });
  if (res.status !== 200) throw new Error(`invite: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function send(t: TestHomeserver, token: string, roomId: string, body: string): Promise<string> {
  const res = await t.request("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn${seq++}`, {
    token,
    body: { msgtype: "m.text", body },
  });
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

export async function sendState(t: TestHomeserver, token: string, roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
  const res = await t.request("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${type}/`, { token, body: content });
  if (res.status !== 200) throw new Error(`state: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

/** The SQLite definition (metadata) and the live table (queries) of a schema table. */
function tableOf(database: Database, name: string) {
  const def = (schema as unknown as Record<string, SQLiteTable>)[name]!;
  const live = (database.tables as unknown as Record<string, Record<string, unknown>>)[name]!;
  const cfg = getTableConfig(def);
  const props = new Map<string, string>();
  for (const [prop, col] of Object.entries(def) as Array<[string, SQLiteColumn]>) if (cfg.columns.includes(col)) props.set(col.name, prop);
  return { def, live, cfg, prop: (column: string) => props.get(column)!, col: (column: string) => live[props.get(column)!] as never };
}

/**
 * One made-up row of `step`'s table belonging to `roomId`, whatever the table's columns:
 * so a purge test covers tables the test has no real way to fill (and tables added later).
 */
export async function insertSyntheticRow(database: Database, step: PurgeStep, roomId: string, count = 1): Promise<void> {
  const t = tableOf(database, step.table);
  let parentValue: unknown;
  if (step.key.kind === "via") {
    const parent = tableOf(database, step.key.parent);
    const rows = await database.db
      .select({ v: parent.col(step.key.parentColumn) })
      .from(parent.live as never)
      .where(eq(parent.col("room_id"), roomId))
      .limit(1);
    parentValue = (rows[0] as { v: unknown } | undefined)?.v;
    if (parentValue === undefined) throw new Error(`no ${step.key.parent} row of ${roomId} to hang a ${step.table} row on`);
  }
  const row = () => {
    const values: Record<string, unknown> = {};
    for (const col of t.cfg.columns) {
      if ((col as unknown as { autoIncrement?: boolean }).autoIncrement) continue;
      const prop = t.prop(col.name);
      if (col.name === "room_id") values[prop] = roomId;
      else if (step.key.kind === "via" && col.name === step.key.column) values[prop] = parentValue;
      else values[prop] = syntheticValue(col);
    }
    return values;
  };
  for (let done = 0; done < count; done += 100) {
    const rows = Array.from({ length: Math.min(100, count - done) }, row);
    await database.transaction("test_synthetic_rows", (tx) => tx.insert(t.live as never).values(rows as never));
  }
}

function syntheticValue(col: SQLiteColumn): unknown {
  const n = 9_000_000_000 + seq++;
  switch (col.columnType) {
    case "SQLiteTextJson":
      return {};
    case "SQLiteBoolean":
      return false;
    case "SQLiteReal":
      return 0.5;
    case "SQLiteInteger":
    case "SQLiteTimestamp":
      return n;
    default:
      return `synthetic_${col.name}_${n}`;
  }
}

/** Rows of the room in every purged table, by table. */
export async function roomRowCounts(t: TestHomeserver, roomId: string): Promise<Record<string, number>> {
  const store = t.hs.services.adminRooms.stores.roomPurge;
  const out: Record<string, number> = {};
  for (const step of PURGE_ROOM_TABLES) out[step.table] = await store.count(step, roomId);
  return out;
}

/** Rows of every table with an event_id column that name one of `eventIds`, by table. */
export async function rowsNamingEvents(database: Database, eventIds: string[], except: string[] = []): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, def] of Object.entries(schema)) {
    if (!is(def, SQLiteTable) || except.includes(name)) continue;
    const t = tableOf(database, name);
    if (!t.cfg.columns.some((c) => c.name === "event_id")) continue;
    const rows = await database.db.select({ id: t.col("event_id") }).from(t.live as never).where(inArray(t.col("event_id"), eventIds));
    if (rows.length > 0) out[name] = rows.length;
  }
  return out;
}
