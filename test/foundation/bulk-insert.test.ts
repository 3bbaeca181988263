// Bulk inserts keep every value exactly: on PostgreSQL a batch of hundreds of rows goes
// through COPY's text format (tabs, newlines, backslashes and NULL are escaped there),
// smaller ones through unnest() or VALUES; SQLite binds parameters, a row at a time into
// the events table and in multi-row statements elsewhere. Runs on the
// suite's database (SQLite, and PostgreSQL when HEARTH_TEST_POSTGRES is set).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { migrateDatabase } from "../../src/storage/migrate.ts";
import { SqlExec } from "../../src/storage/stores/sql-exec.ts";
import { prepareTestHomeserver, type TestHomeserverBase } from "../support/homeserver.ts";

let base: TestHomeserverBase;
let database: Database;
let sql: SqlExec;

beforeAll(async () => {
  base = await prepareTestHomeserver();
  database = await openDatabase(base.config.database);
  await migrateDatabase(database, Date.now());
  sql = new SqlExec(database);
});
afterAll(async () => {
  await database.close();
  await base.cleanup();
});

const COLUMNS = ["stream_ordering", "event_id", "room_id", "depth", "type", "state_key", "sender", "origin_server_ts", "pdu", "state_group", "contains_url"];
const AWKWARD = ["tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", '"quoted" {a,b}', "ünïcödé 🎉", "", "NULL", "a\\tb"];

function rows(from: number, n: number, roomId: string): unknown[][] {
  return Array.from({ length: n }, (_, i) => {
    const at = from + i;
    const awkward = AWKWARD[i % AWKWARD.length]!;
    const pdu = JSON.stringify({ content: { body: `${awkward} ${at}`, nested: { quote: '"', slash: "\\" } } });
    return [at, `$bulk${at}-${awkward}`, roomId, at, "m.room.member", i % 3 === 0 ? null : `@${awkward}${at}:example.org`, "@sender:example.org", 1_700_000_000_000 + at, pdu, at, i % 2 === 0];
  });
}

async function readBack(roomId: string): Promise<unknown[][]> {
  const found = await sql.rows<Record<string, unknown>>(
    database.db,
    `SELECT ${COLUMNS.join(", ")} FROM events WHERE room_id = ? ORDER BY stream_ordering`,
    [roomId],
  );
  return found.map((r) => [
    Number(r.stream_ordering),
    r.event_id,
    r.room_id,
    Number(r.depth),
    r.type,
    r.state_key,
    r.sender,
    Number(r.origin_server_ts),
    r.pdu,
    Number(r.state_group),
    Boolean(r.contains_url),
  ]);
}

test("hundreds of rows with tabs, newlines, backslashes, quotes and nulls read back exactly", async () => {
  const written = rows(1_000_000, 700, "!bulk:example.org");
  await database.transaction("test_bulk", (tx) => sql.insertMany(tx, "events", COLUMNS, written));
  expect(await readBack("!bulk:example.org")).toEqual(written);
});

test("a few rows take the same path's small form with the same result", async () => {
  const written = rows(2_000_000, 13, "!small:example.org");
  await database.transaction("test_bulk", (tx) => sql.insertMany(tx, "events", COLUMNS, written));
  expect(await readBack("!small:example.org")).toEqual(written);
});

test("a prepared bulk insert runs after statements issued before it, and statements after it see its rows", async () => {
  const written = rows(3_000_000, 600, "!prepared:example.org");
  const counted = await database.transaction("test_bulk", async (tx) => {
    const insert = sql.prepareInsert("events", COLUMNS, written);
    expect(insert.copies).toBe(database.dialect === "postgres");
    await sql.run(tx, "INSERT INTO stream_positions (stream, position) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET position = excluded.position", ["bulk_test", 7]);
    await insert.run(tx);
    return sql.rows<{ n: number | string }>(tx, "SELECT COUNT(*) AS n FROM events WHERE room_id = ?", ["!prepared:example.org"]);
  });
  expect(Number(counted[0]!.n)).toBe(600);
  expect(await readBack("!prepared:example.org")).toEqual(written);
});

test("a bulk insert that fails says why, rolls its transaction back, and the next transaction works", async () => {
  const written = rows(4_000_000, 600, "!failing:example.org");
  // The last row repeats the first one's stream ordering (the primary key).
  written.push([...written[0]!.slice(0, 1), "$different", ...written[0]!.slice(2)]);
  await expect(database.transaction("test_bulk", (tx) => sql.insertMany(tx, "events", COLUMNS, written))).rejects.toThrow(/unique|duplicate/i);
  expect(await readBack("!failing:example.org")).toEqual([]);
  const retried = written.slice(0, -1);
  await database.transaction("test_bulk", (tx) => sql.insertMany(tx, "events", COLUMNS, retried));
  expect(await readBack("!failing:example.org")).toEqual(retried);
});

test("runEach runs its statement once per parameter list, in order", async () => {
  await database.runEach("INSERT INTO stream_positions (stream, position) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET position = excluded.position", [
    ["run_each_test", 1],
    ["run_each_test", 3],
    ["run_each_test", 2],
  ]);
  const rows = await sql.rows<{ position: number | string }>(database.db, "SELECT position FROM stream_positions WHERE stream = ?", ["run_each_test"]);
  expect(Number(rows[0]!.position)).toBe(2);
});
