// A database from before bans kept their content (room_memberships.ban_content) gets it
// from the ban events when migrated, so an upgrade of a room banned before then copies
// every reason. Runs on the suite's database (SQLite, and PostgreSQL when
// HEARTH_TEST_POSTGRES is set).
import { expect, test } from "bun:test";
import { openDatabase } from "../../src/storage/database.ts";
import { migrateDatabase } from "../../src/storage/migrate.ts";
import { RoomDirectoryStore } from "../../src/storage/stores/room-directory.ts";
import { prepareTestHomeserver } from "../support/homeserver.ts";
import { migrateToBefore } from "../support/migrations.ts";

/** What the JSON of a PDU escapes: a tab, quotes, a backslash. */
const REASON = 'tab\there "quoted" \\ ✓';

test("existing bans get their events' content; other memberships get none", async () => {
  const base = await prepareTestHomeserver();
  const db = await openDatabase(base.config.database);
  try {
    // The schema as the previous release left it.
    const { before, total } = await migrateToBefore(db, "_ban_content");
    const pdu = (membership: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ type: "m.room.member", content: { membership, ...extra }, sender: "@mod:x" }).replace(/'/g, "''");
    await db.execRaw([
      `INSERT INTO events (stream_ordering, event_id, room_id, depth, type, state_key, sender, origin_server_ts, membership, pdu, state_group)
         VALUES (1, '$ban', '!r:x', 1, 'm.room.member', '@spam:x', '@mod:x', 1, 'ban', '${pdu("ban", { reason: REASON, "org.example": [1, 2] })}', 1),
                (2, '$join', '!r:x', 2, 'm.room.member', '@ok:x', '@ok:x', 2, 'join', '${pdu("join", { displayname: "Ok" })}', 1)`,
      `INSERT INTO room_memberships (room_id, user_id, membership, event_id, stream_ordering, sender, displayname, avatar_url, forgotten)
         VALUES ('!r:x', '@spam:x', 'ban', '$ban', 1, '@mod:x', NULL, NULL, false),
                ('!r:x', '@ok:x', 'join', '$join', 2, '@ok:x', 'Ok', NULL, false)`,
    ]);

    const result = await migrateDatabase(db, 0);
    expect(result.applied.length).toBe(total - before);
    const bans = await new RoomDirectoryStore(db).bans("!r:x");
    expect(bans).toHaveLength(1);
    expect(bans[0]!.userId).toBe("@spam:x");
    expect(JSON.parse(bans[0]!.content!)).toEqual({ membership: "ban", reason: REASON, "org.example": [1, 2] });
    const joined = await db.queryRaw<{ ban_content: string | null }>("SELECT ban_content FROM room_memberships WHERE user_id = '@ok:x'");
    expect(joined).toEqual([{ ban_content: null }]);
  } finally {
    await db.close();
    await base.cleanup();
  }
});
