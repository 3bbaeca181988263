// A database written before the send-path schema changes keeps its data when it is
// migrated: push defaults are re-keyed by position, transaction ids move onto the
// events' own columns (one event per id), and SQLite's extremities table becomes WITHOUT ROWID.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/storage/database.ts";
import { migrateDatabase } from "../../src/storage/migrate.ts";
import { sqliteMigrations } from "../../src/storage/migrations.generated.ts";
import { EventsStore } from "../../src/storage/stores/events.ts";

const BEFORE = sqliteMigrations.findIndex((m) => m.tag.endsWith("_send_path_pages"));

test("an SQLite database from before the send-path changes keeps its extremities, push defaults and retries", async () => {
  expect(BEFORE).toBeGreaterThan(0);
  const dir = mkdtempSync(join(tmpdir(), "hearth-migrate-"));
  const db = await openDatabase({ kind: "sqlite", path: join(dir, "old.db") });
  try {
    // The schema as the previous release left it.
    for (let i = 0; i < BEFORE; i++) {
      const m = sqliteMigrations[i]!;
      await db.execRaw([
        ...m.sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean),
        ...(i === 0 ? ["CREATE TABLE IF NOT EXISTS hearth_schema_migrations (idx INTEGER PRIMARY KEY, tag TEXT NOT NULL, applied_ts BIGINT NOT NULL)"] : []),
        `INSERT INTO hearth_schema_migrations (idx, tag, applied_ts) VALUES (${i}, '${m.tag}', 0)`,
      ]);
    }
    await db.execRaw([
      "INSERT INTO room_forward_extremities (room_id, event_id) VALUES ('!r:x', '$a'), ('!r:x', '$b')",
      `INSERT INTO event_push_defaults (event_id, room_id, stream_ordering, thread_id, sender, notif, highlight, actions, ts)
         VALUES ('$a', '!r:x', 7, 'main', '@s:x', 1, 0, '["notify"]', 123)`,
      `INSERT INTO events (stream_ordering, event_id, room_id, depth, type, sender, origin_server_ts, pdu, state_group, txn_scope, txn_id)
         VALUES (7, '$a', '!r:x', 3, 'm.room.message', '@s:x', 1, '{}', 1, 'd:@s:x|DEV', 'txn1')`,
      // A repeat of the same transaction id (no release wrote one): the unique index must still build.
      `INSERT INTO events (stream_ordering, event_id, room_id, depth, type, sender, origin_server_ts, pdu, state_group, txn_scope, txn_id)
         VALUES (8, '$c', '!r:x', 4, 'm.room.message', '@s:x', 2, '{}', 1, 'd:@s:x|DEV', 'txn1')`,
      `INSERT INTO event_txn_ids (scope, room_id, txn_id, event_id, created_ts) VALUES ('d:@s:x|DEV', '!r:x', 'txn1', '$a', 1)`,
    ]);

    const result = await migrateDatabase(db, 0);
    expect(result.applied.length).toBe(sqliteMigrations.length - BEFORE);

    const extremities = await db.queryRaw<{ event_id: string }>("SELECT event_id FROM room_forward_extremities WHERE room_id = '!r:x' ORDER BY event_id");
    expect(extremities.map((r) => r.event_id)).toEqual(["$a", "$b"]);
    const [table] = await db.queryRaw<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'room_forward_extremities'");
    expect(table!.sql).toContain("WITHOUT ROWID");
    const defaults = await db.queryRaw<{ stream_ordering: number; event_id: string }>("SELECT stream_ordering, event_id FROM event_push_defaults");
    expect(defaults).toEqual([{ stream_ordering: 7, event_id: "$a" }]);
    expect(await db.queryRaw("SELECT name FROM sqlite_schema WHERE name = 'event_txn_ids'")).toEqual([]);
    expect(await new EventsStore(db).eventForTxn("d:@s:x|DEV", "!r:x", "txn1")).toBe("$a");
    // The first event keeps the id; the repeat loses it, and a third is refused.
    expect(await db.queryRaw("SELECT event_id, txn_id FROM events ORDER BY stream_ordering")).toEqual([
      { event_id: "$a", txn_id: "txn1" },
      { event_id: "$c", txn_id: null },
    ]);
    const [index] = await db.queryRaw<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'events_txn'");
    expect(index!.sql).toContain("UNIQUE");
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
