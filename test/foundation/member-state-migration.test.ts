// A database from before member events were kept in room_memberships alone loses their
// duplicate rows in room_current_state when migrated, and the room's current state still
// lists its members (from the memberships). Runs on the suite's database (SQLite, and
// PostgreSQL when HEARTH_TEST_POSTGRES is set).
import { expect, test } from "bun:test";
import { openDatabase } from "../../src/storage/database.ts";
import { migrateDatabase } from "../../src/storage/migrate.ts";
import { RoomsStore } from "../../src/storage/stores/rooms.ts";
import { prepareTestHomeserver } from "../support/homeserver.ts";
import { migrateToBefore } from "../support/migrations.ts";

test("member rows leave room_current_state; current state still has the members", async () => {
  const base = await prepareTestHomeserver();
  const db = await openDatabase(base.config.database);
  try {
    // The schema as the previous release left it.
    const { before, total } = await migrateToBefore(db, "_member_state_in_memberships");
    const pdu = (type: string, content: Record<string, unknown>) => JSON.stringify({ type, content, sender: "@a:x" });
    await db.execRaw([
      `INSERT INTO events (stream_ordering, event_id, room_id, depth, type, state_key, sender, origin_server_ts, membership, pdu, state_group)
         VALUES (1, '$name', '!r:x', 1, 'm.room.name', '', '@a:x', 1, NULL, '${pdu("m.room.name", { name: "Room" })}', 1),
                (2, '$join', '!r:x', 2, 'm.room.member', '@a:x', '@a:x', 2, 'join', '${pdu("m.room.member", { membership: "join" })}', 2)`,
      `INSERT INTO room_current_state (room_id, type, state_key, event_id)
         VALUES ('!r:x', 'm.room.name', '', '$name'), ('!r:x', 'm.room.member', '@a:x', '$join')`,
      `INSERT INTO room_memberships (room_id, user_id, membership, event_id, stream_ordering, sender, displayname, avatar_url, forgotten)
         VALUES ('!r:x', '@a:x', 'join', '$join', 2, '@a:x', NULL, NULL, false)`,
    ]);

    const result = await migrateDatabase(db, 0);
    expect(result.applied.length).toBe(total - before);
    const left = await db.queryRaw<{ type: string }>("SELECT type FROM room_current_state WHERE room_id = '!r:x'");
    expect(left).toEqual([{ type: "m.room.name" }]);
    const rooms = new RoomsStore(db);
    const state = (await rooms.currentState("!r:x")).map((r) => [r.type, r.stateKey, r.eventId]).sort();
    expect(state).toEqual([
      ["m.room.member", "@a:x", "$join"],
      ["m.room.name", "", "$name"],
    ]);
    expect((await rooms.currentState("!r:x", { types: ["m.room.member"] })).map((r) => r.eventId)).toEqual(["$join"]);
    expect((await rooms.currentState("!r:x", { excludeTypes: ["m.room.member"] })).map((r) => r.eventId)).toEqual(["$name"]);
  } finally {
    await db.close();
    await base.cleanup();
  }
});
