import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GENEROUS_LIMITS, expectAdminOnly, makeUser, startAdminFixture, type AdminFixture } from "./helpers.ts";
import { createRoom, join, send } from "./room-fixtures.ts";

let f: AdminFixture;
let room: string;
let bob: { userId: string; token: string };
const enc = encodeURIComponent;

beforeAll(async () => {
  f = await startAdminFixture({ config: GENEROUS_LIMITS });
  bob = await makeUser(f.t, "bob");
  room = await createRoom(f.t, f.user.token, { name: "Reported", preset: "public_chat" });
  await join(f.t, bob.token, room);
});
afterAll(async () => {
  await f.t.stop();
});

const report = (token: string, roomId: string, eventId: string, body: unknown) =>
  f.t.request("POST", `/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, { token, body });

describe("event reports", () => {
  test("non-admins cannot read or delete reports", async () => {
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/event_reports");
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/event_reports/1");
    await expectAdminOnly(f, "DELETE", "/_synapse/admin/v1/event_reports/1");
  });

  test("a member reports an event; the admin lists, reads and deletes the report", async () => {
    const bad = await send(f.t, bob.token, room, "something awful");
    const res = await report(f.user.token, room, bad, { reason: "spam", score: -100 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});

    const list = await f.t.request("GET", "/_synapse/admin/v1/event_reports", { token: f.admin.token });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    const entry = list.body.event_reports[0];
    expect(entry).toMatchObject({
      event_id: bad,
      room_id: room,
      name: "Reported",
      canonical_alias: null,
      user_id: f.user.userId,
      sender: bob.userId,
      reason: "spam",
      score: -100,
    });
    expect(typeof entry.id).toBe("number");
    expect(typeof entry.received_ts).toBe("number");

    const one = await f.t.request("GET", `/_synapse/admin/v1/event_reports/${entry.id}`, { token: f.admin.token });
    expect(one.body.event_json.content.body).toBe("something awful");
    expect(one.body.event_json.sender).toBe(bob.userId);

    expect((await f.t.request("DELETE", `/_synapse/admin/v1/event_reports/${entry.id}`, { token: f.admin.token })).body).toEqual({});
    const gone = await f.t.request("GET", `/_synapse/admin/v1/event_reports/${entry.id}`, { token: f.admin.token });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe("Event report not found");
    expect((await f.t.request("DELETE", `/_synapse/admin/v1/event_reports/${entry.id}`, { token: f.admin.token })).status).toBe(404);
  });

  test("filters, order and paging of the list", async () => {
    const e1 = await send(f.t, bob.token, room, "one");
    const e2 = await send(f.t, f.user.token, room, "two");
    await report(f.user.token, room, e1, { reason: "a" });
    await report(bob.token, room, e2, { reason: "b" });
    const newestFirst = await f.t.request("GET", "/_synapse/admin/v1/event_reports", { token: f.admin.token });
    expect(newestFirst.body.event_reports.map((r: any) => r.reason)).toEqual(["b", "a"]);
    const oldestFirst = await f.t.request("GET", "/_synapse/admin/v1/event_reports?dir=f", { token: f.admin.token });
    expect(oldestFirst.body.event_reports.map((r: any) => r.reason)).toEqual(["a", "b"]);
    const byReporter = await f.t.request("GET", `/_synapse/admin/v1/event_reports?user_id=${enc(bob.userId)}`, { token: f.admin.token });
    expect(byReporter.body.event_reports.map((r: any) => r.reason)).toEqual(["b"]);
    const bySender = await f.t.request("GET", `/_synapse/admin/v1/event_reports?event_sender_user_id=${enc(bob.userId)}`, { token: f.admin.token });
    expect(bySender.body.event_reports.map((r: any) => r.reason)).toEqual(["a"]);
    const page = await f.t.request("GET", "/_synapse/admin/v1/event_reports?limit=1", { token: f.admin.token });
    expect(page.body).toMatchObject({ total: 2, next_token: 1 });
  });

  test("reports of unseen events are 404; bad input is 400 naming the field", async () => {
    const outsider = await makeUser(f.t, "outsider");
    const e = await send(f.t, bob.token, room, "private-ish");
    const privateRoom = await createRoom(f.t, bob.token, { preset: "private_chat" });
    const hidden = await send(f.t, bob.token, privateRoom, "hidden");
    const notVisible = await report(outsider.token, privateRoom, hidden, { reason: "x" });
    expect(notVisible.status).toBe(404);
    expect(notVisible.body.error).toBe("Unable to report event: it does not exist or you aren't able to see it.");
    expect((await report(f.user.token, room, `$${"A".repeat(43)}`, {})).status).toBe(404);
    const badReason = await report(f.user.token, room, e, { reason: 5 });
    expect(badReason.status).toBe(400);
    expect(badReason.body.error).toContain("reason");
    const badScore = await report(f.user.token, room, e, { score: "bad" });
    expect(badScore.body.error).toContain("score");
    const badId = await f.t.request("GET", "/_synapse/admin/v1/event_reports/abc", { token: f.admin.token });
    expect(badId.status).toBe(400);
    expect(badId.body.error).toContain("report_id");
    const badDir = await f.t.request("GET", "/_synapse/admin/v1/event_reports?dir=x", { token: f.admin.token });
    expect(badDir.status).toBe(400);
    expect(badDir.body.error).toContain("dir");
  });
});

describe("purge_history", () => {
  test("non-admins are refused", async () => {
    await expectAdminOnly(f, "POST", `/_synapse/admin/v1/purge_history/${enc(room)}`, { purge_up_to_ts: 1 });
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/purge_history_status/abc");
  });

  test("deletes remote-less history up to an event, keeping state and (by default) local events", async () => {
    const r = await createRoom(f.t, f.user.token, { preset: "public_chat", name: "History" });
    const old = [await send(f.t, f.user.token, r, "old 1"), await send(f.t, f.user.token, r, "old 2")];
    const keep = await send(f.t, f.user.token, r, "keep");
    const after = await send(f.t, f.user.token, r, "after");
    const events = f.t.hs.services.rooms.stores.events;

    // Local events stay unless delete_local_events.
    const first = await f.t.request("POST", `/_synapse/admin/v1/purge_history/${enc(r)}/${enc(keep)}`, { token: f.admin.token, body: {} });
    expect(first.status).toBe(200);
    await waitPurge(first.body.purge_id);
    expect(await events.get(old[0]!)).toBeDefined();

    const res = await f.t.request("POST", `/_synapse/admin/v1/purge_history/${enc(r)}`, {
      token: f.admin.token,
      body: { purge_up_to_event_id: keep, delete_local_events: true },
    });
    expect(res.status).toBe(200);
    expect((await waitPurge(res.body.purge_id)).status).toBe("complete");
    expect(await events.get(old[0]!)).toBeUndefined();
    expect(await events.get(old[1]!)).toBeUndefined();
    expect(await events.get(keep)).toBeDefined();
    expect(await events.get(after)).toBeDefined();
    // State is always kept: the room still works.
    const state = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(r)}/state`, { token: f.admin.token });
    expect(state.body.state.some((e: any) => e.type === "m.room.create")).toBe(true);
    expect(typeof (await send(f.t, f.user.token, r, "still works"))).toBe("string");
  });

  test("purge_up_to_ts; errors name the field; unknown purge ids are 404", async () => {
    const r = await createRoom(f.t, f.user.token, { preset: "public_chat" });
    await send(f.t, f.user.token, r, "a");
    const ts = f.t.hs.clock.now() + 1000;
    const res = await f.t.request("POST", `/_synapse/admin/v1/purge_history/${enc(r)}`, { token: f.admin.token, body: { purge_up_to_ts: ts, delete_local_events: true } });
    expect(res.status).toBe(200);
    expect((await waitPurge(res.body.purge_id)).status).toBe("complete");

    const none = await f.t.request("POST", `/_synapse/admin/v1/purge_history/${enc(r)}`, { token: f.admin.token, body: {} });
    expect(none.status).toBe(400);
    expect(none.body.error).toContain("purge_up_to_event_id or purge_up_to_ts");
    const badTs = await f.t.request("POST", `/_synapse/admin/v1/purge_history/${enc(r)}`, { token: f.admin.token, body: { purge_up_to_ts: "yesterday" } });
    expect(badTs.status).toBe(400);
    expect(badTs.body.error).toContain("purge_up_to_ts");
    const tooEarly = await f.t.request("POST", `/_synapse/admin/v1/purge_history/${enc(r)}`, { token: f.admin.token, body: { purge_up_to_ts: 1 } });
    expect(tooEarly.status).toBe(404);
    const otherRoom = await send(f.t, f.user.token, room, "elsewhere");
    const wrongRoom = await f.t.request("POST", `/_synapse/admin/v1/purge_history/${enc(r)}/${enc(otherRoom)}`, { token: f.admin.token, body: {} });
    expect(wrongRoom.status).toBe(400);
    expect(wrongRoom.body.error).toBe("Event is for wrong room.");
    const unknown = await f.t.request("GET", "/_synapse/admin/v1/purge_history_status/nope", { token: f.admin.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("purge id 'nope' not found");
  });
});

async function waitPurge(id: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const res = await f.t.request("GET", `/_synapse/admin/v1/purge_history_status/${id}`, { token: f.admin.token });
    if (res.body.status !== "active") return res.body;
    await Bun.sleep(20);
  }
  throw new Error("purge never finished");
}
