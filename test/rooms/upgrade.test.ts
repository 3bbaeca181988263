// POST /rooms/{roomId}/upgrade over HTTP (behaviour spec §7): tombstone and predecessor,
// copied state, bans copied into the replacement room, aliases and the directory entry
// moved, power levels, refusals, and the per-user response cache.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, createRoomAs, enc, expectStatus, registerUsers, roomPath as room, startRoomsHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
let clock: FakeClock;
let alice: Account;
let bob: Account;
let carol: Account;
let dave: Account;

beforeAll(async () => {
  clock = new FakeClock("test.local", Date.now());
  t = await startRoomsHomeserver({ clock });
  [alice, bob, carol, dave] = await registerUsers(t, "alice", "bob", "carol", "dave");
});
afterAll(() => t.stop());

const as = (who: Account) => clientFor(t, who);
const createRoom = (body: Record<string, unknown> = {}, who = alice) => createRoomAs(as(who), body);

async function upgrade(roomId: string, body: Record<string, unknown> = { new_version: "12" }, who = alice): Promise<string> {
  const res = await as(who)("POST", `${room(roomId)}/upgrade`, body);
  expectStatus(res, 200);
  expect(typeof res.body.replacement_room).toBe("string");
  return res.body.replacement_room;
}

async function stateOf(roomId: string, who = alice): Promise<Map<string, any>> {
  const res = await as(who)("GET", `${room(roomId)}/state`);
  expectStatus(res, 200);
  return new Map(res.body.map((e: any) => [`${e.type}|${e.state_key}`, e]));
}

describe("room upgrade", () => {
  test("tombstone, predecessor, copied state, muted old room, creator joined", async () => {
    const oldRoom = await createRoom({
      room_version: "11",
      preset: "public_chat",
      name: "Old name",
      topic: "Old topic",
      initial_state: [
        { type: "m.room.avatar", content: { url: "mxc://test.local/av" } },
        { type: "m.room.encryption", content: { algorithm: "m.megolm.v1.aes-sha2" } },
        { type: "m.room.server_acl", content: { allow: ["*"], deny: ["evil.example"], allow_ip_literals: false } },
        { type: "m.room.guest_access", content: { guest_access: "forbidden" } },
        { type: "m.room.history_visibility", content: { history_visibility: "joined" } },
        { type: "m.room.pinned_events", content: { pinned: [] } },
        { type: "org.example.custom", content: { x: 1 } },
      ],
    });
    await as(bob)("POST", `${room(oldRoom)}/join`, {});
    await as(alice)("POST", `${room(oldRoom)}/invite`, { user_id: carol.userId });
    const before = await stateOf(oldRoom);

    const newRoom = await upgrade(oldRoom, { new_version: "12" });
    expect(newRoom).not.toBe(oldRoom);

    const old = await stateOf(oldRoom);
    expect(old.get("m.room.tombstone|").content).toEqual({ body: "This room has been replaced", replacement_room: newRoom });
    expect(old.get("m.room.tombstone|").sender).toBe(alice.userId);
    // Only admins speak in the old room now.
    const oldPl = old.get("m.room.power_levels|").content;
    expect(oldPl.events_default).toBe(50);
    expect(oldPl.invite).toBe(50);
    expect(oldPl.users).toEqual(before.get("m.room.power_levels|").content.users);

    const fresh = await stateOf(newRoom);
    const create = fresh.get("m.room.create|");
    expect(create.content).toEqual({ room_version: "12", predecessor: { room_id: oldRoom } });
    expect(create.sender).toBe(alice.userId);
    for (const type of ["m.room.join_rules", "m.room.name", "m.room.topic", "m.room.history_visibility", "m.room.guest_access", "m.room.avatar", "m.room.encryption", "m.room.server_acl"]) {
      expect(fresh.get(`${type}|`)?.content, type).toEqual(before.get(`${type}|`).content);
    }
    for (const type of ["m.room.pinned_events", "org.example.custom", "m.room.tombstone", "m.room.canonical_alias"]) {
      expect(fresh.has(`${type}|`), type).toBe(false);
    }
    // The upgrader alone is in the new room: joins and invites do not move.
    expect(fresh.get(`m.room.member|${alice.userId}`).content.membership).toBe("join");
    expect(fresh.has(`m.room.member|${bob.userId}`)).toBe(false);
    expect(fresh.has(`m.room.member|${carol.userId}`)).toBe(false);
    // v11 → v12: the creator leaves the users map (creators have implicit power).
    const newPl = fresh.get("m.room.power_levels|").content;
    expect(newPl.users[alice.userId]).toBeUndefined();
    const { users: _u1, ...oldRest } = before.get("m.room.power_levels|").content;
    const { users: _u2, ...newRest } = newPl;
    expect(newRest).toEqual(oldRest);

    // The old room's members can follow the tombstone.
    expectStatus(await as(bob)("POST", `${room(newRoom)}/join`, {}), 200);
  });

  test("v10 → v11 names the tombstone as predecessor event and keeps levels as they were", async () => {
    const oldRoom = await createRoom({ room_version: "10", preset: "private_chat", power_level_content_override: { users_default: 10, state_default: 60 } });
    const newRoom = await upgrade(oldRoom, { new_version: "11" });
    const fresh = await stateOf(newRoom);
    const create = fresh.get("m.room.create|").content;
    expect(create.room_version).toBe("11");
    expect(create.predecessor.room_id).toBe(oldRoom);
    const tombstone = (await stateOf(oldRoom)).get("m.room.tombstone|");
    expect(create.predecessor.event_id).toBe(tombstone.event_id);
    const named = await as(alice)("GET", `${room(oldRoom)}/event/${enc(create.predecessor.event_id)}`);
    expectStatus(named, 200);
    expect(named.body.type).toBe("m.room.tombstone");
    expect(named.body.content.replacement_room).toBe(newRoom);
    const pl = fresh.get("m.room.power_levels|").content;
    expect(pl.users).toEqual({ [alice.userId]: 100 });
    expect(pl.users_default).toBe(10);
    expect(pl.state_default).toBe(60);
    // Old room: max(users_default + 1, 50) for invite and events_default.
    const oldPl = (await stateOf(oldRoom)).get("m.room.power_levels|").content;
    expect(oldPl.events_default).toBe(50);
    expect(oldPl.invite).toBe(50);
  });

  test("v11 → v11: predecessor.event_id is the tombstone's; v12 names no event", async () => {
    const oldRoom = await createRoom({ room_version: "11", preset: "public_chat" });
    const newRoom = await upgrade(oldRoom, { new_version: "11" });
    const tombstone = (await as(alice)("GET", `${room(oldRoom)}/state`)).body.find((e: any) => e.type === "m.room.tombstone");
    const create = (await as(alice)("GET", `${room(newRoom)}/state`)).body.find((e: any) => e.type === "m.room.create");
    expect(create.content.predecessor).toEqual({ room_id: oldRoom, event_id: tombstone.event_id });
    expect(tombstone.content.replacement_room).toBe(newRoom);

    const v12 = await upgrade(newRoom, { new_version: "12" });
    const v12Create = (await as(alice)("GET", `${room(v12)}/state`)).body.find((e: any) => e.type === "m.room.create");
    expect(v12Create.content.predecessor).toEqual({ room_id: newRoom });
  });

  test("sends to the old room during an upgrade all land, before or after the tombstone, on one chain", async () => {
    const oldRoom = await createRoom({ room_version: "11", preset: "public_chat" });
    // Bans make the new room's creation take a while, so sends overlap it.
    await t.hs.services.rooms.events.create(
      oldRoom,
      Array.from({ length: 300 }, (_, i) => ({ type: "m.room.member", stateKey: `@banned${i}:elsewhere.example`, content: { membership: "ban" }, sender: alice.userId })),
    );
    const send = (i: number) => as(alice)("PUT", `${room(oldRoom)}/send/m.room.message/during-${i}`, { msgtype: "m.text", body: `during ${i}` });
    const sends = [send(0), send(1)];
    const upgrading = upgrade(oldRoom, { new_version: "11" });
    for (let i = 2; i < 30; i++) {
      sends.push(send(i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const newRoom = await upgrading;
    const results = await Promise.all(sends);
    for (const r of results) expectStatus(r, 200);
    const sent = results.map((r) => r.body.event_id as string);

    const page = await as(alice)("GET", `${room(oldRoom)}/messages?dir=f&limit=1000`);
    expectStatus(page, 200);
    const ids = page.body.chunk.map((e: any) => e.event_id as string);
    for (const id of sent) expect(ids.filter((x: string) => x === id)).toHaveLength(1);
    const tombstone = page.body.chunk.find((e: any) => e.type === "m.room.tombstone");
    expect(tombstone.content.replacement_room).toBe(newRoom);
    const create = (await as(alice)("GET", `${room(newRoom)}/state`)).body.find((e: any) => e.type === "m.room.create");
    expect(create.content.predecessor.event_id).toBe(tombstone.event_id);

    // One linear chain: each event's prev event is the one persisted just before it.
    const rows = await t.hs.services.rooms.stores.events.page({ roomId: oldRoom, dir: "f", limit: 1000 });
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.streamOrdering).toBeGreaterThan(rows[i - 1]!.streamOrdering);
      expect(JSON.parse(rows[i]!.pdu).prev_events, rows[i]!.type).toEqual([rows[i - 1]!.eventId]);
    }
    expect(await t.hs.services.rooms.stores.rooms.forwardExtremities(oldRoom)).toHaveLength(1);
    // The tombstone is current state, and no later event replaced it.
    expect((await stateOf(oldRoom)).get("m.room.tombstone|").event_id).toBe(tombstone.event_id);
  });

  test("every ban is copied to the replacement room with its content, sent by the upgrader, in one transaction", async () => {
    const oldRoom = await createRoom({ preset: "public_chat" });
    const rooms = t.hs.services.rooms;
    const banned = Array.from({ length: 1203 }, (_, i) => `@spammer${i}:elsewhere.example`);
    // Three bans through the API, the rest in bulk. The reasons hold what bulk writes
    // must escape (COPY on PostgreSQL): tab, newline, backslash, quotes.
    const reason = (i: number) => `reason ${i}\tafter a tab, a new\nline, a \\ backslash, "quotes", \\N and ünïcödé 🎉`;
    for (const [i, who] of [bob, carol, dave].entries()) {
      await as(who)("POST", `${room(oldRoom)}/join`, {});
      expectStatus(await as(alice)("POST", `${room(oldRoom)}/ban`, { user_id: who.userId, reason: reason(i) }), 200);
    }
    await rooms.events.create(
      oldRoom,
      banned.map((u) => ({ type: "m.room.member", stateKey: u, content: { membership: "ban", reason: "spam", "org.example.extra": 1 }, sender: alice.userId })),
    );

    const persists: string[] = [];
    const stop = t.hs.services.database.stats.addListener((name) => persists.push(name));
    const newRoom = await upgrade(oldRoom);
    stop();
    // One transaction for all the bans (a chain written as it is built), not one per ban;
    // creation, tombstone, power levels: a handful more.
    expect(persists.filter((n) => n === "persist_event_chain")).toHaveLength(1);
    expect(persists.filter((n) => n === "persist_events").length).toBeLessThanOrEqual(5);

    const members = await as(alice)("GET", `${room(newRoom)}/members?membership=ban`);
    expectStatus(members, 200);
    const bans = new Map(members.body.chunk.map((e: any) => [e.state_key, e]));
    expect(bans.size).toBe(1206);
    for (const [i, who] of [bob, carol, dave].entries()) {
      const ban: any = bans.get(who.userId);
      expect(ban.content).toEqual({ membership: "ban", reason: reason(i) });
      expect(ban.sender).toBe(alice.userId);
      expect(ban.room_id).toBe(newRoom);
    }
    expect((bans.get(banned[1200]!) as any).content).toEqual({ membership: "ban", reason: "spam", "org.example.extra": 1 });
    expectStatus(await as(bob)("POST", `${room(newRoom)}/join`, {}), 403, "M_FORBIDDEN");
  });

  test("local aliases and the canonical alias move; the directory entry moves", async () => {
    const res = await as(alice)("POST", "/createRoom", { preset: "public_chat", room_alias_name: "moving", visibility: "public" });
    const oldRoom = res.body.room_id;
    await as(alice)("PUT", `/directory/room/${enc("#moving-alt:test.local")}`, { room_id: oldRoom });
    await as(alice)("PUT", `/directory/room/${enc("#moving-other:test.local")}`, { room_id: oldRoom });
    // A remote alt alias cannot be checked here; put it in place without the client API.
    await t.hs.services.rooms.events.create(oldRoom, [
      {
        type: "m.room.canonical_alias",
        stateKey: "",
        content: { alias: "#moving:test.local", alt_aliases: ["#moving-alt:test.local", "#far:remote.example"] },
        sender: alice.userId,
      },
    ]);

    const newRoom = await upgrade(oldRoom);
    for (const alias of ["#moving:test.local", "#moving-alt:test.local", "#moving-other:test.local"]) {
      expect((await as(bob)("GET", `/directory/room/${enc(alias)}`)).body.room_id, alias).toBe(newRoom);
    }
    expect((await as(alice)("GET", `${room(newRoom)}/aliases`)).body.aliases).toHaveLength(3);
    expect((await as(alice)("GET", `${room(oldRoom)}/aliases`)).body.aliases).toEqual([]);
    expect((await as(alice)("GET", `${room(newRoom)}/state/m.room.canonical_alias/`)).body).toEqual({
      alias: "#moving:test.local",
      alt_aliases: ["#moving-alt:test.local"],
    });
    expect((await as(alice)("GET", `${room(oldRoom)}/state/m.room.canonical_alias/`)).body).toEqual({ alt_aliases: ["#far:remote.example"] });

    expect((await as(bob)("GET", `/directory/list/room/${enc(oldRoom)}`)).body.visibility).toBe("private");
    expect((await as(bob)("GET", `/directory/list/room/${enc(newRoom)}`)).body.visibility).toBe("public");
    // join by the old alias lands in the new room.
    expect((await as(bob)("POST", `/join/${enc("#moving:test.local")}`, {})).body.room_id).toBe(newRoom);
  });

  test("spaces keep their type and live children; custom room types are kept", async () => {
    const child = await createRoom({ preset: "public_chat" });
    const gone = await createRoom({ preset: "public_chat" });
    const space = await createRoom({
      preset: "public_chat",
      creation_content: { type: "m.space" },
      initial_state: [
        { type: "m.space.child", state_key: child, content: { via: ["test.local"] } },
        { type: "m.space.child", state_key: gone, content: {} },
      ],
    });
    const newSpace = await upgrade(space);
    const fresh = await stateOf(newSpace);
    expect(fresh.get("m.room.create|").content.type).toBe("m.space");
    expect(fresh.get(`m.space.child|${child}`).content).toEqual({ via: ["test.local"] });
    expect(fresh.has(`m.space.child|${gone}`)).toBe(false);

    const custom = await createRoom({ creation_content: { type: "org.example.board", "m.federate": false } });
    const newCustom = await upgrade(custom, { new_version: "11" });
    expect((await stateOf(newCustom)).get("m.room.create|").content).toMatchObject({ type: "org.example.board", "m.federate": false });
  });

  test("power levels without an events map still upgrade; additional creators are applied", async () => {
    const roomId = await createRoom({ room_version: "11" });
    expectStatus(await as(alice)("PUT", `${room(roomId)}/state/m.room.power_levels/`, { users: { [alice.userId]: 100, [bob.userId]: 50 } }), 200);
    const newRoom = await upgrade(roomId, { new_version: "12", additional_creators: [bob.userId] });
    const fresh = await stateOf(newRoom);
    expect(fresh.get("m.room.create|").content.additional_creators).toEqual([bob.userId]);
    expect(fresh.get("m.room.power_levels|").content).toEqual({ users: {} });
  });

  test("per-user room data follows: m.direct entries and tags", async () => {
    const roomId = await createRoom({ preset: "trusted_private_chat", invite: [bob.userId], is_direct: true });
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await as(bob)("PUT", `/user/${enc(bob.userId)}/account_data/m.direct`, { [alice.userId]: [roomId] });
    await as(bob)("PUT", `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.tag`, { tags: { "m.favourite": { order: 0.5 } } });
    const newRoom = await upgrade(roomId);
    expect((await as(bob)("GET", `/user/${enc(bob.userId)}/account_data/m.direct`)).body).toEqual({ [alice.userId]: [roomId, newRoom] });
    expect((await as(bob)("GET", `/user/${enc(bob.userId)}/rooms/${enc(newRoom)}/account_data/m.tag`)).body).toEqual({
      tags: { "m.favourite": { order: 0.5 } },
    });
  });
});

describe("refusals", () => {
  test("403 without the tombstone's power, when never in or having left the room; 404 for unknown rooms", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    await as(bob)("POST", `${room(roomId)}/join`, {});
    expectStatus(await as(bob)("POST", `${room(roomId)}/upgrade`, { new_version: "12" }), 403, "M_FORBIDDEN");
    expectStatus(await as(carol)("POST", `${room(roomId)}/upgrade`, { new_version: "12" }), 403, "M_FORBIDDEN");
    await as(bob)("POST", `${room(roomId)}/leave`, {});
    expectStatus(await as(bob)("POST", `${room(roomId)}/upgrade`, { new_version: "12" }), 403, "M_FORBIDDEN");
    expectStatus(await as(bob)("POST", `${room("!unknown:test.local")}/upgrade`, { new_version: "12" }), 404, "M_NOT_FOUND");
    // Nothing happened to the room.
    expect((await as(alice)("GET", `${room(roomId)}/state/m.room.tombstone/`)).status).toBe(404);

    // With the tombstone level lowered (a v11 room: the creator is not special), Bob may upgrade.
    const v11 = await createRoom({ room_version: "11", preset: "public_chat" });
    await as(bob)("POST", `${room(v11)}/join`, {});
    expectStatus(await as(bob)("POST", `${room(v11)}/upgrade`, { new_version: "11" }), 403);
    const pl = (await as(alice)("GET", `${room(v11)}/state/m.room.power_levels/`)).body;
    await as(alice)("PUT", `${room(v11)}/state/m.room.power_levels/`, { ...pl, events: { ...pl.events, "m.room.tombstone": 0 } });
    const replacement = await upgrade(v11, { new_version: "11" }, bob);
    // Bob was raised only while copying; he is not added to either room's users map.
    expect((await as(bob)("GET", `${room(replacement)}/state/m.room.power_levels/`)).body.users[bob.userId]).toBeUndefined();
    expect((await as(alice)("GET", `${room(v11)}/state/m.room.power_levels/`)).body.users[bob.userId]).toBeUndefined();
  });

  test("400 for unknown versions and bad bodies, never a 5xx", async () => {
    const roomId = await createRoom();
    const up = (body: unknown) => as(alice)("POST", `${room(roomId)}/upgrade`, body);
    const bad = await up({ new_version: "99" });
    expectStatus(bad, 400, "M_UNSUPPORTED_ROOM_VERSION");
    expect(bad.body.error).toBe("Your homeserver does not support this room version");
    expectStatus(await up({ new_version: "1" }), 400, "M_UNSUPPORTED_ROOM_VERSION");
    expectStatus(await up({}), 400, "M_MISSING_PARAM");
    expectStatus(await up({ new_version: 12 }), 400, "M_INVALID_PARAM");
    expectStatus(await up({ new_version: "12", additional_creators: "x" }), 400, "M_INVALID_PARAM");
    expectStatus(await up({ new_version: "12", additional_creators: ["not a user"] }), 400, "M_INVALID_PARAM");
    expectStatus(await up("nope"), 400, "M_NOT_JSON");
    expectStatus(await up([1]), 400, "M_BAD_JSON");
    expectStatus(await as(alice)("POST", `/rooms/not-a-room/upgrade`, { new_version: "12" }), 400, "M_INVALID_PARAM");
    expectStatus(await t.request("POST", `/_matrix/client/v3${room(roomId)}/upgrade`, { body: { new_version: "12" } }), 401);
    expect((await as(alice)("GET", `${room(roomId)}/state/m.room.tombstone/`)).status).toBe(404);
  });

  test("the same user gets the same replacement for five minutes; another user gets 400 meanwhile", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    await as(bob)("POST", `${room(roomId)}/join`, {});
    const pl = (await as(alice)("GET", `${room(roomId)}/state/m.room.power_levels/`)).body;
    await as(alice)("PUT", `${room(roomId)}/state/m.room.power_levels/`, { ...pl, users: { [bob.userId]: 150 }, events: { ...pl.events, "m.room.tombstone": 150 } });

    // A refused attempt (Carol is not in the room) does not block anyone.
    expectStatus(await as(carol)("POST", `${room(roomId)}/upgrade`, { new_version: "12" }), 403);
    const first = await upgrade(roomId);
    expect(await upgrade(roomId)).toBe(first);
    const other = await as(bob)("POST", `${room(roomId)}/upgrade`, { new_version: "12" });
    expectStatus(other, 400, "M_UNKNOWN");
    expect(other.body.error).toBe("An upgrade for this room is currently in progress");

    await clock.advance(5 * 60_000 + 1000);
    const later = await upgrade(roomId);
    expect(later).not.toBe(first);
  });
});
