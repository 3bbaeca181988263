import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { bodies, clientFor, createRoom, enc, freshUsers, join, registerUsers, send, sharedRoom, startSyncHomeserver, sync, txn } from "./helpers.ts";
import { startRestartableHomeserver } from "./restartable.ts";

let t: TestHomeserver;

beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

const users = (...names: string[]) => freshUsers(t, ...names);

describe("initial sync", () => {
  test("has the joined room's state, timeline, summary, the push rules and a next_batch", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!], { name: "Initial" });
    await send(alice!.c, roomId, "one");
    const body = await sync(bob!.c);
    expect(body.next_batch).toMatch(/^s\d+(_\d+){6}$/);
    const room = body.rooms.join[roomId];
    expect(bodies(room.timeline.events)).toEqual(["one"]);
    const all = [...room.state.events, ...room.timeline.events];
    expect(all.find((e: any) => e.type === "m.room.name")?.content.name).toBe("Initial");
    expect(all.find((e: any) => e.type === "m.room.create")).toBeDefined();
    expect(room.summary["m.joined_member_count"]).toBe(2);
    // A named room needs no heroes (spec; Synapse leaves them out too).
    expect(room.summary["m.heroes"]).toBeUndefined();
    const pushRules = body.account_data.events.find((e: any) => e.type === "m.push_rules");
    expect(pushRules.content.global.override[0].rule_id).toBe(".m.rule.master");
    // State and timeline never repeat an event.
    const ids = all.map((e: any) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("a small timeline limit puts earlier events in state, with limited and prev_batch", async () => {
    const [alice] = await users("alice");
    const roomId = await createRoom(alice!.c, { name: "Limited" });
    for (let i = 0; i < 5; i++) await send(alice!.c, roomId, `m${i}`);
    const body = await sync(alice!.c, { filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const room = body.rooms.join[roomId];
    expect(bodies(room.timeline.events)).toEqual(["m2", "m3", "m4"]);
    expect(room.timeline.limited).toBe(true);
    expect(room.state.events.find((e: any) => e.type === "m.room.name")?.content.name).toBe("Limited");
    expect(room.state.events.find((e: any) => e.type === "m.room.member" && e.state_key === alice!.userId)).toBeDefined();
  });
});

describe("incremental sync and long-polling", () => {
  test("a waiting sync returns with another user's message", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!]);
    const first = await sync(bob!.c);
    const waiting = sync(bob!.c, { since: first.next_batch, timeout: 20_000 });
    await Bun.sleep(30);
    await send(alice!.c, roomId, "wake up");
    const woken = await waiting;
    expect(bodies(woken.rooms.join[roomId].timeline.events)).toEqual(["wake up"]);
    expect(woken.rooms.join[roomId].timeline.limited).toBe(false);
    // The next incremental sync has nothing new.
    const again = await sync(bob!.c, { since: woken.next_batch });
    expect(again.rooms?.join?.[roomId]).toBeUndefined();
  });

  test("activity in a room the user is not in does not end the long-poll", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    await sharedRoom(alice!.c, [bob!]);
    const other = await createRoom(carol!.c, {});
    const first = await sync(bob!.c);
    const started = performance.now();
    const waiting = sync(bob!.c, { since: first.next_batch, timeout: 700 });
    await Bun.sleep(30);
    await send(carol!.c, other, "not for bob");
    const body = await waiting;
    expect(performance.now() - started).toBeGreaterThanOrEqual(650);
    expect(body.rooms).toBeUndefined();
    expect(body.next_batch).not.toBe(first.next_batch);
  });

  test("a limited incremental timeline gives a prev_batch that pages back to exactly the missing events", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!]);
    await send(alice!.c, roomId, "seen");
    const first = await sync(bob!.c);
    expect(bodies(first.rooms.join[roomId].timeline.events)).toContain("seen");
    for (let i = 1; i <= 15; i++) await send(alice!.c, roomId, `gap${i}`);
    const body = await sync(bob!.c, { since: first.next_batch, filter: JSON.stringify({ room: { timeline: { limit: 5 } } }) });
    const timeline = body.rooms.join[roomId].timeline;
    expect(bodies(timeline.events)).toEqual(["gap11", "gap12", "gap13", "gap14", "gap15"]);
    expect(timeline.limited).toBe(true);
    const page = await bob!.c("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=10&from=${enc(timeline.prev_batch)}`);
    expect(page.status).toBe(200);
    expect(bodies(page.body.chunk)).toEqual(["gap10", "gap9", "gap8", "gap7", "gap6", "gap5", "gap4", "gap3", "gap2", "gap1"]);
    const next = await bob!.c("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=1&from=${enc(page.body.end)}`);
    expect(bodies(next.body.chunk)).toEqual(["seen"]);
  });

  test("state changed in the gap of a limited timeline arrives in state", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!], { name: "Before" });
    const first = await sync(bob!.c);
    await alice!.c("PUT", `/rooms/${enc(roomId)}/state/m.room.name/`, { name: "After" });
    for (let i = 0; i < 4; i++) await send(alice!.c, roomId, `x${i}`);
    const body = await sync(bob!.c, { since: first.next_batch, filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
    const room = body.rooms.join[roomId];
    expect(room.timeline.limited).toBe(true);
    expect(room.state.events.map((e: any) => [e.type, e.content.name])).toEqual([["m.room.name", "After"]]);
  });

  test("full_state returns the whole state again", async () => {
    const [alice] = await users("alice");
    const roomId = await createRoom(alice!.c, { name: "Full" });
    const first = await sync(alice!.c);
    const body = await sync(alice!.c, { since: first.next_batch, full_state: true });
    const types = body.rooms.join[roomId].state.events.map((e: any) => e.type);
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.name");
  });

  test("invites arrive with stripped state; leaving moves the room to leave", async () => {
    const [alice, bob] = await users("alice", "bob");
    const first = await sync(bob!.c);
    const roomId = await createRoom(alice!.c, { name: "Invite me", invite: [bob!.userId] });
    const invited = await sync(bob!.c, { since: first.next_batch, timeout: 10_000 });
    const state = invited.rooms.invite[roomId].invite_state.events;
    expect(state.find((e: any) => e.type === "m.room.name")?.content.name).toBe("Invite me");
    const me = state.find((e: any) => e.type === "m.room.member" && e.state_key === bob!.userId);
    expect(me.content.membership).toBe("invite");
    expect(me.sender).toBe(alice!.userId);
    await join(bob!.c, roomId);
    const joined = await sync(bob!.c, { since: invited.next_batch });
    expect(joined.rooms.join[roomId]).toBeDefined();
    expect(joined.rooms.invite).toBeUndefined();
    const leave = await bob!.c("POST", `/rooms/${enc(roomId)}/leave`, {});
    expect(leave.status).toBe(200);
    const left = await sync(bob!.c, { since: joined.next_batch });
    const timeline = left.rooms.leave[roomId].timeline.events;
    expect(timeline.at(-1).content.membership).toBe("leave");
    expect(left.rooms.join?.[roomId]).toBeUndefined();
    // Initial syncs show left rooms only with include_leave.
    expect((await sync(bob!.c)).rooms?.leave?.[roomId]).toBeUndefined();
    const withLeave = await sync(bob!.c, { filter: JSON.stringify({ room: { include_leave: true } }) });
    expect(withLeave.rooms.leave[roomId]).toBeDefined();
  });

  test("a malformed since token is 400 M_INVALID_PARAM", async () => {
    const [alice] = await users("alice");
    const r = await alice!.c("GET", "/sync?since=garbage");
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe("M_INVALID_PARAM");
  });
});

describe("lazy-loading members", () => {
  test("state carries only the members the timeline needs", async () => {
    const [alice, bob, carol, dave] = await users("alice", "bob", "carol", "dave");
    const roomId = await sharedRoom(alice!.c, [bob!, carol!, dave!]);
    await send(bob!.c, roomId, "from bob");
    for (let i = 0; i < 3; i++) await send(carol!.c, roomId, `from carol ${i}`);
    const filter = JSON.stringify({ room: { timeline: { limit: 3 }, state: { lazy_load_members: true } } });
    const body = await sync(dave!.c, { filter });
    const room = body.rooms.join[roomId];
    expect(bodies(room.timeline.events)).toEqual(["from carol 0", "from carol 1", "from carol 2"]);
    const members = room.state.events.filter((e: any) => e.type === "m.room.member").map((e: any) => e.state_key).sort();
    // carol sent the timeline, dave is the syncing user, alice/bob are heroes (the room has no name).
    expect(members).toContain(carol!.userId);
    expect(members).toContain(dave!.userId);
    const heroes: string[] = room.summary["m.heroes"];
    expect(members.sort()).toEqual([...new Set([carol!.userId, dave!.userId, ...heroes])].sort());
    expect(room.summary["m.joined_member_count"]).toBe(4);
    // Without lazy loading every member is there.
    const fullBody = await sync(dave!.c, { filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const all = fullBody.rooms.join[roomId].state.events.filter((e: any) => e.type === "m.room.member");
    expect(all.length).toBe(4);
  });

  test("an incremental sync brings the member event of a new sender", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    // Named, so carol is no hero whose member event the first sync already carries.
    const roomId = await sharedRoom(alice!.c, [bob!, carol!], { name: "Lazy" });
    await send(alice!.c, roomId, "hello");
    const filter = JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } } });
    const first = await sync(bob!.c, { filter });
    await send(carol!.c, roomId, "carol speaks");
    const body = await sync(bob!.c, { filter, since: first.next_batch });
    const room = body.rooms.join[roomId];
    expect(bodies(room.timeline.events)).toEqual(["carol speaks"]);
    const members = room.state.events.filter((e: any) => e.type === "m.room.member").map((e: any) => e.state_key);
    expect(members).toEqual([carol!.userId]);
  });
});

describe("ephemeral: typing and receipts", () => {
  test("typing starts and stops in the room's ephemeral events", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!]);
    const first = await sync(bob!.c);
    const waiting = sync(bob!.c, { since: first.next_batch, timeout: 10_000 });
    await Bun.sleep(20);
    expect((await alice!.c("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice!.userId)}`, { typing: true, timeout: 10_000 })).status).toBe(200);
    const typing = await waiting;
    const ev = typing.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === "m.typing");
    expect(ev.content.user_ids).toEqual([alice!.userId]);
    await alice!.c("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice!.userId)}`, { typing: false });
    const stopped = await sync(bob!.c, { since: typing.next_batch, timeout: 10_000 });
    expect(stopped.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === "m.typing").content.user_ids).toEqual([]);
  });

  test("typing for someone else or in a room one is not in is forbidden", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await createRoom(alice!.c, {});
    expect((await bob!.c("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice!.userId)}`, { typing: true })).status).toBe(403);
    expect((await bob!.c("PUT", `/rooms/${enc(roomId)}/typing/${enc(bob!.userId)}`, { typing: true })).status).toBe(403);
    expect((await alice!.c("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice!.userId)}`, { typing: "yes" })).status).toBe(400);
  });

  test("public receipts reach others, private ones only their owner", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!]);
    const e1 = await send(alice!.c, roomId, "read me");
    const aliceFirst = await sync(alice!.c);
    const bobFirst = await sync(bob!.c);
    expect((await bob!.c("POST", `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(e1)}`, {})).status).toBe(200);
    const bobOwn = await sync(bob!.c, { since: bobFirst.next_batch });
    const own = bobOwn.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === "m.receipt");
    expect(own.content[e1]["m.read.private"][bob!.userId].ts).toBeNumber();
    const aliceView = await sync(alice!.c, { since: aliceFirst.next_batch });
    expect(aliceView.rooms?.join?.[roomId]).toBeUndefined();

    expect((await bob!.c("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(e1)}`, { thread_id: "main" })).status).toBe(200);
    const seen = await sync(alice!.c, { since: aliceView.next_batch });
    const receipt = seen.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === "m.receipt");
    expect(receipt.content[e1]["m.read"][bob!.userId].thread_id).toBe("main");
    expect(receipt.content[e1]["m.read.private"]).toBeUndefined();
  });

  test("receipt and read marker validation", async () => {
    const [alice] = await users("alice");
    const roomId = await createRoom(alice!.c, {});
    const e1 = await send(alice!.c, roomId, "x");
    const bad = await alice!.c("POST", `/rooms/${enc(roomId)}/receipt/m.bogus/${enc(e1)}`, {});
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe("M_INVALID_PARAM");
    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(e1)}`, { thread_id: "" })).status).toBe(400);
    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/receipt/m.fully_read/${enc(e1)}`, { thread_id: "main" })).status).toBe(400);
    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc("$nope")}`, {})).status).toBe(404);
    const first = await sync(alice!.c);
    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/read_markers`, { "m.fully_read": e1, "m.read": e1 })).status).toBe(200);
    const body = await sync(alice!.c, { since: first.next_batch });
    const room = body.rooms.join[roomId];
    expect(room.account_data.events).toEqual([{ type: "m.fully_read", content: { event_id: e1 } }]);
    expect(room.ephemeral.events.find((e: any) => e.type === "m.receipt").content[e1]["m.read"][alice!.userId]).toBeDefined();
  });
});

describe("unread notification counts", () => {
  test("rise on messages and a mention, and reset on a read receipt", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!]);
    const start = await sync(bob!.c);
    const base = start.rooms.join[roomId].unread_notifications;
    await send(alice!.c, roomId, "plain message");
    const e2 = await send(alice!.c, roomId, `hey ${bob!.userId}`, { "m.mentions": { user_ids: [bob!.userId] } });
    const body = await sync(bob!.c, { since: start.next_batch });
    const counts = body.rooms.join[roomId].unread_notifications;
    expect(counts.notification_count).toBe(base.notification_count + 2);
    expect(counts.highlight_count).toBe(base.highlight_count + 1);

    const notifs = await bob!.c("GET", "/notifications");
    expect(notifs.body.notifications[0].event.event_id).toBe(e2);
    expect(notifs.body.notifications[0].read).toBe(false);
    const onlyHighlights = await bob!.c("GET", "/notifications?only=highlight");
    expect(onlyHighlights.body.notifications.map((n: any) => n.event.event_id)).toEqual([e2]);

    await bob!.c("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(e2)}`, {});
    const after = await sync(bob!.c, { since: body.next_batch });
    expect(after.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
    expect((await bob!.c("GET", "/notifications")).body.notifications[0].read).toBe(true);
    // The sender's own messages never count for them.
    const own = await sync(alice!.c);
    expect(own.rooms.join[roomId].unread_notifications.highlight_count).toBe(0);
  });

  test("a muted member and a later joiner are not counted; others are", async () => {
    const [alice, bob, carol, dave] = await users("alice", "bob", "carol", "dave");
    const roomId = await sharedRoom(alice!.c, [bob!, carol!], { preset: "public_chat" });
    // carol mutes the room with a room rule that does nothing.
    expect((await carol!.c("PUT", `/pushrules/global/room/${enc(roomId)}`, { actions: [] })).status).toBe(200);
    const bobStart = (await sync(bob!.c)).rooms.join[roomId].unread_notifications.notification_count;
    await send(alice!.c, roomId, "to everyone");
    await join(dave!.c, roomId);
    expect((await sync(bob!.c)).rooms.join[roomId].unread_notifications.notification_count).toBe(bobStart + 1);
    expect((await sync(carol!.c)).rooms.join[roomId].unread_notifications.notification_count).toBe(0);
    expect((await sync(dave!.c)).rooms.join[roomId].unread_notifications.notification_count).toBe(0);
    // After dave joined, a message counts for him too; carol stays muted.
    await send(alice!.c, roomId, "welcome dave");
    expect((await sync(dave!.c)).rooms.join[roomId].unread_notifications.notification_count).toBe(1);
    expect((await sync(carol!.c)).rooms.join[roomId].unread_notifications.notification_count).toBe(0);
    // Carol's only notification is her invite.
    const carolNotifs = (await carol!.c("GET", "/notifications")).body.notifications;
    expect(carolNotifs.map((n: any) => [n.event.type, n.event.content.membership])).toEqual([["m.room.member", "invite"]]);
    expect((await dave!.c("GET", "/notifications")).body.notifications.map((n: any) => n.event.content.body)).toEqual(["welcome dave"]);
  });

  test("a rule or display name change reaches the next message of a room already prepared", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    const roomId = await sharedRoom(alice!.c, [bob!, carol!]);
    // The room's recipients are prepared with the first message and kept for the next.
    await send(alice!.c, roomId, "warming up");
    const counts = async (u: typeof bob) => (await sync(u!.c)).rooms.join[roomId].unread_notifications;
    const bobBefore = await counts(bob);
    const carolBefore = await counts(carol);
    expect((await carol!.c("PUT", `/pushrules/global/room/${enc(roomId)}`, { actions: [] })).status).toBe(200);
    await send(alice!.c, roomId, "after the mute");
    expect((await counts(carol)).notification_count).toBe(carolBefore.notification_count);
    expect((await counts(bob)).notification_count).toBe(bobBefore.notification_count + 1);
    // A new display name: a message naming it highlights its owner.
    expect((await bob!.c("PUT", `/profile/${enc(bob!.userId)}/displayname`, { displayname: "Zebulon" })).status).toBe(200);
    await send(alice!.c, roomId, "ask zebulon about it");
    const bobAfter = await counts(bob);
    expect(bobAfter.highlight_count).toBe(bobBefore.highlight_count + 1);
    expect(bobAfter.notification_count).toBe(bobBefore.notification_count + 2);
  });

  test("per-thread counts when the filter asks for them", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await sharedRoom(alice!.c, [bob!]);
    const root = await send(alice!.c, roomId, "root");
    await bob!.c("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(root)}`, {});
    await send(alice!.c, roomId, "in thread", { "m.relates_to": { rel_type: "m.thread", event_id: root } });
    await send(alice!.c, roomId, "in main");
    const body = await sync(bob!.c, { filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }) });
    const room = body.rooms.join[roomId];
    expect(room.unread_notifications.notification_count).toBe(1);
    expect(room.unread_thread_notifications[root].notification_count).toBe(1);
    const total = await sync(bob!.c);
    expect(total.rooms.join[roomId].unread_notifications.notification_count).toBe(2);
  });
});

describe("presence", () => {
  test("set and read status; visible in sync to users sharing a room", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    await sharedRoom(alice!.c, [bob!]);
    const first = await sync(bob!.c, { set_presence: "offline" });
    expect((await alice!.c("PUT", `/presence/${enc(alice!.userId)}/status`, { presence: "online", status_msg: "here" })).status).toBe(200);
    const got = await bob!.c("GET", `/presence/${enc(alice!.userId)}/status`);
    expect(got.body.presence).toBe("online");
    expect(got.body.status_msg).toBe("here");
    expect(got.body.currently_active).toBe(true);
    expect((await carol!.c("GET", `/presence/${enc(alice!.userId)}/status`)).status).toBe(403);
    expect((await bob!.c("PUT", `/presence/${enc(alice!.userId)}/status`, { presence: "online" })).status).toBe(403);
    expect((await alice!.c("PUT", `/presence/${enc(alice!.userId)}/status`, { presence: "busy" })).status).toBe(400);
    const body = await sync(bob!.c, { since: first.next_batch, set_presence: "offline" });
    const ev = body.presence.events.find((e: any) => e.sender === alice!.userId);
    expect(ev.content.presence).toBe("online");
    expect(ev.content.status_msg).toBe("here");
    const carolView = await sync(carol!.c, { set_presence: "offline" });
    expect(carolView.presence?.events?.find((e: any) => e.sender === alice!.userId)).toBeUndefined();
  });
});

describe("filters", () => {
  test("upload, download, and use by id or inline", async () => {
    const [alice] = await users("alice");
    const def = { room: { timeline: { limit: 1, types: ["m.room.message"] } }, presence: { not_types: ["*"] } };
    const up = await alice!.c("POST", `/user/${enc(alice!.userId)}/filter`, def);
    expect(up.status).toBe(200);
    expect(up.body.filter_id).toMatch(/^\d+$/);
    const down = await alice!.c("GET", `/user/${enc(alice!.userId)}/filter/${up.body.filter_id}`);
    expect(down.body).toEqual(def);
    const roomId = await createRoom(alice!.c, {});
    await send(alice!.c, roomId, "a");
    await send(alice!.c, roomId, "b");
    const byId = await sync(alice!.c, { filter: up.body.filter_id });
    expect(byId.rooms.join[roomId].timeline.events.map((e: any) => e.content.body)).toEqual(["b"]);
    const excluded = await sync(alice!.c, { filter: JSON.stringify({ room: { not_rooms: [roomId] } }) });
    expect(excluded.rooms?.join?.[roomId]).toBeUndefined();
    const fields = await sync(alice!.c, { filter: JSON.stringify({ event_fields: ["type", "content.body"], room: { timeline: { limit: 1 } } }) });
    expect(fields.rooms.join[roomId].timeline.events).toEqual([{ type: "m.room.message", content: { body: "b" } }]);
  });

  test("errors: other users, unknown ids, bad filters", async () => {
    const [alice, bob] = await users("alice", "bob");
    expect((await bob!.c("POST", `/user/${enc(alice!.userId)}/filter`, {})).status).toBe(403);
    expect((await alice!.c("GET", `/user/${enc(alice!.userId)}/filter/999`)).status).toBe(404);
    expect((await alice!.c("GET", `/user/${enc(alice!.userId)}/filter/abc`)).status).toBe(404);
    const { body } = await alice!.c("POST", `/user/${enc(alice!.userId)}/filter`, {});
    expect((await bob!.c("GET", `/user/${enc(alice!.userId)}/filter/${body.filter_id}`)).status).toBe(403);
    const bad = await alice!.c("POST", `/user/${enc(alice!.userId)}/filter`, { room: { timeline: { limit: "ten" } } });
    expect(bad.status).toBe(400);
    expect((await alice!.c("GET", "/sync?filter=12345")).status).toBe(400);
  });
});

describe("streams of other modules", () => {
  test("a to-device message ends a waiting sync (E2EE's stream through the extension point)", async () => {
    const [alice, bob] = await users("alice", "bob");
    const me = await bob!.c("GET", "/account/whoami");
    const first = await sync(bob!.c);
    const waiting = sync(bob!.c, { since: first.next_batch, timeout: 10_000 });
    await Bun.sleep(20);
    const put = await alice!.c("PUT", `/sendToDevice/m.test/${txn()}`, { messages: { [bob!.userId]: { [me.body.device_id]: { hello: "bob" } } } });
    expect(put.status).toBe(200);
    const body = await waiting;
    expect(body.to_device.events).toEqual([{ type: "m.test", sender: alice!.userId, content: { hello: "bob" } }]);
    // Acknowledged by the next since: not delivered twice.
    const next = await sync(bob!.c, { since: body.next_batch });
    expect(next.to_device?.events ?? []).toEqual([]);
  });

  test("global account data set by a client arrives in a waiting sync", async () => {
    const [alice] = await users("alice");
    const first = await sync(alice!.c);
    const waiting = sync(alice!.c, { since: first.next_batch, timeout: 10_000 });
    await Bun.sleep(20);
    await alice!.c("PUT", `/user/${enc(alice!.userId)}/account_data/m.test`, { x: 1 });
    const body = await waiting;
    expect(body.account_data.events).toEqual([{ type: "m.test", content: { x: 1 } }]);
  });
});

describe("restarts", () => {
  test("a client resumes with its old token after a server restart without gaps or duplicates", async () => {
    const h = await startRestartableHomeserver();
    try {
      const [aliceAcc, bobAcc] = await registerUsers(h, "alice", "bob");
      const alice = clientFor(h, aliceAcc!);
      const bob = clientFor(h, bobAcc!);
      const roomId = await createRoom(alice, { invite: [bobAcc!.userId] });
      await join(bob, roomId);
      await send(alice, roomId, "before");
      const first = await sync(bob);
      await send(alice, roomId, "gap 1");
      await send(alice, roomId, "gap 2");
      await alice("PUT", `/rooms/${enc(roomId)}/typing/${enc(aliceAcc!.userId)}`, { typing: true, timeout: 30_000 });
      await h.restart();
      const resumed = await sync(bob, { since: first.next_batch });
      const room = resumed.rooms.join[roomId];
      expect(bodies(room.timeline.events)).toEqual(["gap 1", "gap 2"]);
      expect(room.timeline.limited).toBe(false);
      // Typing did not survive the restart, and the client is told nobody types.
      expect(room.ephemeral.events.find((e: any) => e.type === "m.typing").content.user_ids).toEqual([]);
      await send(alice, roomId, "after");
      const next = await sync(bob, { since: resumed.next_batch, timeout: 10_000 });
      expect(bodies(next.rooms.join[roomId].timeline.events)).toEqual(["after"]);
      const quiet = await sync(bob, { since: next.next_batch });
      expect(quiet.rooms?.join?.[roomId]).toBeUndefined();
    } finally {
      await h.stop();
    }
  });
});
