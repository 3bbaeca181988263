import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import * as schema from "../../src/storage/schema/index.ts";
import { KEPT_ROOM_TABLES, PURGE_ROOM_TABLES, uncoveredRoomTables } from "../../src/admin/room-tables.ts";
import { GENEROUS_LIMITS, expectAdminOnly, makeUser, startAdminFixture, type AdminFixture } from "./helpers.ts";
import { createRoom, insertSyntheticRow, join, roomRowCounts, rowsNamingEvents, send } from "./room-fixtures.ts";

const enc = encodeURIComponent;

describe("the purge's table list", () => {
  test("covers every table of the schema with a room_id or event_id column", () => {
    expect(uncoveredRoomTables(schema)).toEqual([]);
  });

  test("would fail for a new room table that is in neither list", () => {
    const roomThings = sqliteTable("room_things", { roomId: text("room_id").notNull(), n: integer("n") });
    const eventThings = sqliteTable("event_things", { eventId: text("event_id").notNull() });
    expect(uncoveredRoomTables({ ...schema, roomThings, eventThings })).toEqual(["roomThings", "eventThings"]);
  });

  test("names real tables, each once, with the key column it uses, and ends with rooms", () => {
    const names = PURGE_ROOM_TABLES.map((s) => s.table);
    expect(new Set(names).size).toBe(names.length);
    expect(names.at(-1)).toBe("rooms");
    for (const name of [...names, ...Object.keys(KEPT_ROOM_TABLES)]) expect(name in schema).toBe(true);
    for (const name of names) expect(name in KEPT_ROOM_TABLES).toBe(false);
  });
});

let f: AdminFixture;

beforeAll(async () => {
  f = await startAdminFixture({ config: GENEROUS_LIMITS });
});
afterAll(async () => {
  await f.t.stop();
});

/** A room with two local members, messages, and a row of the room in every purged table. */
async function busyRoom(extraMessages = 3): Promise<{ roomId: string; eventIds: string[] }> {
  const bob = await makeUser(f.t, `bob${Math.random().toString(36).slice(2, 8)}`);
  const roomId = await createRoom(f.t, f.user.token, { preset: "public_chat", name: "Doomed" });
  await join(f.t, bob.token, roomId);
  const eventIds: string[] = [];
  for (let i = 0; i < extraMessages; i++) eventIds.push(await send(f.t, i % 2 ? bob.token : f.user.token, roomId, `message ${i}`));
  const db = f.t.hs.services.database;
  const store = f.t.hs.services.adminRooms.stores.roomPurge;
  // Tables the room's real activity did not reach get a made-up row.
  for (const step of PURGE_ROOM_TABLES) if ((await store.count(step, roomId)) === 0) await insertSyntheticRow(db, step, roomId);
  const all = await f.t.hs.services.rooms.stores.events.page({ roomId, dir: "f", limit: 1000 });
  return { roomId, eventIds: all.map((e) => e.eventId) };
}

async function waitForStatus(deleteId: string, status: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const res = await f.t.request("GET", `/_synapse/admin/v2/rooms/delete_status/${deleteId}`, { token: f.admin.token });
    if (res.body.status === status) return res.body;
    if (res.body.status === "failed" && status !== "failed") throw new Error(`delete failed: ${JSON.stringify(res.body)}`);
    await Bun.sleep(25);
  }
  throw new Error(`delete ${deleteId} never reached ${status}`);
}

describe("DELETE /_synapse/admin/v1/rooms/<room_id>", () => {
  test("admin only", async () => {
    await expectAdminOnly(f, "DELETE", `/_synapse/admin/v1/rooms/${enc("!x:test.local")}`, {});
    await expectAdminOnly(f, "DELETE", `/_synapse/admin/v2/rooms/${enc("!x:test.local")}`, {});
    await expectAdminOnly(f, "GET", `/_synapse/admin/v2/rooms/${enc("!x:test.local")}/delete_status`);
    await expectAdminOnly(f, "GET", "/_synapse/admin/v2/rooms/delete_status/abc");
  });

  test("after the purge no purged table has a row of the room, nor a row naming its events; other rooms keep theirs", async () => {
    const other = await busyRoom(1);
    const { roomId, eventIds } = await busyRoom();
    const before = await roomRowCounts(f.t, roomId);
    for (const [table, n] of Object.entries(before)) expect({ table, n: n > 0 }).toEqual({ table, n: true });

    const res = await f.t.request("DELETE", `/_synapse/admin/v1/rooms/${enc(roomId)}`, { token: f.admin.token, body: { block: true } });
    expect(res.status).toBe(200);
    expect(res.body.kicked_users.length).toBe(2);
    expect(res.body).toMatchObject({ failed_to_kick_users: [], local_aliases: [], new_room_id: null });

    const after = await roomRowCounts(f.t, roomId);
    for (const [table, n] of Object.entries(after)) expect({ table, n }).toEqual({ table, n: 0 });
    expect(await rowsNamingEvents(f.t.hs.services.database, eventIds, Object.keys(KEPT_ROOM_TABLES))).toEqual({});
    // Kept on purpose: the block.
    expect((await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(roomId)}/block`, { token: f.admin.token })).body).toEqual({ block: true, user_id: f.admin.userId });
    // The other room is untouched.
    const otherAfter = await roomRowCounts(f.t, other.roomId);
    for (const [table, n] of Object.entries(otherAfter)) expect({ table, n: n > 0 }).toEqual({ table, n: true });
    expect((await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(roomId)}`, { token: f.admin.token })).status).toBe(404);
    // The former members no longer have the room.
    expect((await f.t.request("GET", "/_matrix/client/v3/joined_rooms", { token: f.user.token })).body.joined_rooms).not.toContain(roomId);
    // And nothing can be sent to it any more.
    const sendAfter = await f.t.request("PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/late`, { token: f.user.token, body: { body: "x" } });
    expect(sendAfter.status).toBeGreaterThanOrEqual(400);
  });

  test("new_room_user_id: kicked users land in a notice room with the message", async () => {
    const { roomId } = await busyRoom(1);
    const res = await f.t.request("DELETE", `/_synapse/admin/v1/rooms/${enc(roomId)}`, {
      token: f.admin.token,
      body: { new_room_user_id: f.admin.userId, room_name: "Closed", message: "This room was closed." },
    });
    expect(res.status).toBe(200);
    const newRoom = res.body.new_room_id;
    expect(typeof newRoom).toBe("string");
    expect((await f.t.request("GET", "/_matrix/client/v3/joined_rooms", { token: f.user.token })).body.joined_rooms).toContain(newRoom);
    const details = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(newRoom)}`, { token: f.admin.token });
    expect(details.body.name).toBe("Closed");
    const messages = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(newRoom)}/messages?dir=b`, { token: f.admin.token });
    expect(messages.body.chunk.some((e: any) => e.content?.body === "This room was closed.")).toBe(true);
  });

  test("purge: false only shuts down; a room with joined users is not purged without force_purge", async () => {
    const { roomId } = await busyRoom(1);
    const shut = await f.t.request("DELETE", `/_synapse/admin/v1/rooms/${enc(roomId)}`, { token: f.admin.token, body: { purge: false } });
    expect(shut.status).toBe(200);
    expect((await roomRowCounts(f.t, roomId)).rooms).toBe(1);
    // Someone rejoins: now a plain purge refuses, force_purge goes ahead.
    const purger = f.t.hs.services.adminRooms.purger;
    await join(f.t, f.user.token, roomId);
    await expect(purger.purge(roomId, false)).rejects.toThrow("Users are still joined to this room");
    await purger.purge(roomId, true);
    expect((await roomRowCounts(f.t, roomId)).rooms).toBe(0);
  });

  test("blocking an unknown room works; deleting one without block is 404", async () => {
    const ghost = "!neverseen:elsewhere.org";
    const blocked = await f.t.request("DELETE", `/_synapse/admin/v1/rooms/${enc(ghost)}`, { token: f.admin.token, body: { block: true } });
    expect(blocked.status).toBe(200);
    expect((await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(ghost)}/block`, { token: f.admin.token })).body.block).toBe(true);
    const missing = await f.t.request("DELETE", `/_synapse/admin/v1/rooms/${enc("!other:elsewhere.org")}`, { token: f.admin.token, body: {} });
    expect(missing.status).toBe(404);
  });

  test("bad input is 400 naming the field", async () => {
    const path = `/_synapse/admin/v1/rooms/${enc("!x:test.local")}`;
    for (const field of ["block", "purge", "force_purge"]) {
      const res = await f.t.request("DELETE", path, { token: f.admin.token, body: { [field]: "yes" } });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
      expect(res.body.error).toBe(`Param '${field}' must be a boolean, if given`);
    }
    const noBody = await f.t.request("DELETE", path, { token: f.admin.token });
    expect(noBody.status).toBe(400);
    const remoteCreator = await f.t.request("DELETE", path, { token: f.admin.token, body: { new_room_user_id: "@x:elsewhere.org" } });
    expect(remoteCreator.status).toBe(400);
    const badId = await f.t.request("DELETE", "/_synapse/admin/v2/rooms/not-a-room", { token: f.admin.token, body: {} });
    expect(badId.status).toBe(400);
    expect(badId.body.error).toContain("is not a legal room ID");
  });
});

describe("DELETE /_synapse/admin/v2/rooms/<room_id>", () => {
  test("runs in the background; status by room and by id; the room is gone afterwards", async () => {
    const { roomId } = await busyRoom(2);
    const res = await f.t.request("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId)}`, { token: f.admin.token, body: {} });
    expect(res.status).toBe(200);
    const deleteId = res.body.delete_id;
    expect(typeof deleteId).toBe("string");
    const done = await waitForStatus(deleteId, "complete");
    expect(done).toMatchObject({ delete_id: deleteId, room_id: roomId, status: "complete" });
    expect(done.shutdown_room.kicked_users.length).toBe(2);
    const byRoom = await f.t.request("GET", `/_synapse/admin/v2/rooms/${enc(roomId)}/delete_status`, { token: f.admin.token });
    expect(byRoom.body.results.map((r: any) => r.delete_id)).toEqual([deleteId]);
    const counts = await roomRowCounts(f.t, roomId);
    for (const [table, n] of Object.entries(counts)) expect({ table, n }).toEqual({ table, n: 0 });
  });

  test("unknown ids and rooms are 404 with Synapse's messages; finished tasks expire after a day", async () => {
    const byId = await f.t.request("GET", "/_synapse/admin/v2/rooms/delete_status/nope", { token: f.admin.token });
    expect(byId.status).toBe(404);
    expect(byId.body.error).toBe("delete id 'nope' not found");
    const byRoom = await f.t.request("GET", `/_synapse/admin/v2/rooms/${enc("!none:test.local")}/delete_status`, { token: f.admin.token });
    expect(byRoom.status).toBe(404);
    expect(byRoom.body.error).toBe("No delete task for room_id '!none:test.local' found");

    const { roomId } = await busyRoom(0);
    const res = await f.t.request("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId)}`, { token: f.admin.token, body: {} });
    await waitForStatus(res.body.delete_id, "complete");
    // Age the task by a day and a second.
    const t = f.t.hs.services.database.tables.adminTasks;
    const { eq } = await import("drizzle-orm");
    await f.t.hs.services.database.transaction("test_age_task", (tx) =>
      tx.update(t).set({ updatedTs: f.t.hs.clock.now() - 86_401_000 }).where(eq(t.id, res.body.delete_id)),
    );
    expect((await f.t.request("GET", `/_synapse/admin/v2/rooms/delete_status/${res.body.delete_id}`, { token: f.admin.token })).status).toBe(404);
  });

  test("the notice room's creator must be local but need not be registered (as in Synapse)", async () => {
    const { roomId } = await busyRoom(0);
    const res = await f.t.request("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId)}`, { token: f.admin.token, body: { new_room_user_id: "@nobody:test.local" } });
    const done = await waitForStatus(res.body.delete_id, "complete");
    expect(typeof done.shutdown_room.new_room_id).toBe("string");
  });

  test("a failed task says failed, with the error", async () => {
    const roomId2 = (await busyRoom(0)).roomId;
    const purger = f.t.hs.services.adminRooms.purger;
    const original = purger.purge.bind(purger);
    purger.purge = async () => {
      throw new Error("disk on fire");
    };
    try {
      const res2 = await f.t.request("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId2)}`, { token: f.admin.token, body: {} });
      const failed = await waitForStatus(res2.body.delete_id, "failed");
      expect(failed.error).toBe("disk on fire");
    } finally {
      purger.purge = original;
    }
  });

  test("purging a busy room does not block other requests", async () => {
    const { roomId } = await busyRoom(1);
    // Thousands of events: several chunks.
    const db = f.t.hs.services.database;
    const events = PURGE_ROOM_TABLES.find((s) => s.table === "events")!;
    await insertSyntheticRow(db, events, roomId, 1600);
    const other = await createRoom(f.t, f.user.token, { name: "Elsewhere" });

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let paused = 0;
    const purger = f.t.hs.services.adminRooms.purger;
    purger.betweenChunks = async () => {
      paused++;
      if (paused === 1) await gate;
    };
    try {
      const res = await f.t.request("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId)}`, { token: f.admin.token, body: {} });
      await waitForStatus(res.body.delete_id, "active");
      while (paused === 0) await Bun.sleep(5);
      // The purge is half-way (rows of the room remain) and holds no transaction: others get through.
      expect((await roomRowCounts(f.t, roomId)).events).toBeGreaterThan(0);
      const guard = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("requests blocked by the purge")), 10_000));
      const results = await Promise.race([
        Promise.all([
          send(f.t, f.user.token, other, "still here"),
          f.t.request("PUT", `/_synapse/admin/v2/users/${enc("@during_purge:test.local")}`, { token: f.admin.token, body: { displayname: "During" } }),
          f.t.request("GET", "/_synapse/admin/v1/rooms", { token: f.admin.token }),
          f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: f.user.token }),
        ]),
        guard,
      ]);
      expect(typeof results[0]).toBe("string");
      expect(results[1].status).toBe(201);
      expect(results[2].status).toBe(200);
      expect(results[3].status).toBe(200);
      expect((await f.t.request("GET", `/_synapse/admin/v2/rooms/delete_status/${res.body.delete_id}`, { token: f.admin.token })).body.status).toBe("active");
      release();
      await waitForStatus(res.body.delete_id, "complete");
      expect(paused).toBeGreaterThan(1);
      const counts = await roomRowCounts(f.t, roomId);
      for (const [table, n] of Object.entries(counts)) expect({ table, n }).toEqual({ table, n: 0 });
    } finally {
      release();
      purger.betweenChunks = undefined;
    }
  });

  test("a second delete of a room whose deletion runs is refused", async () => {
    const { roomId } = await busyRoom(0);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const purger = f.t.hs.services.adminRooms.purger;
    const original = purger.purge.bind(purger);
    purger.purge = async (id, force) => {
      await gate;
      return original(id, force);
    };
    try {
      const first = await f.t.request("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId)}`, { token: f.admin.token, body: {} });
      await waitForStatus(first.body.delete_id, "active");
      const second = await f.t.request("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId)}`, { token: f.admin.token, body: {} });
      expect(second.status).toBe(400);
      expect(second.body.error).toBe(`Purge already in progress for ${roomId}`);
      release();
      await waitForStatus(first.body.delete_id, "complete");
    } finally {
      release();
      purger.purge = original;
    }
  });
});

