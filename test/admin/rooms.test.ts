import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GENEROUS_LIMITS, expectAdminOnly, makeUser, startAdminFixture, type AdminFixture } from "./helpers.ts";
import { createRoom, invite, join, send, sendState } from "./room-fixtures.ts";

let f: AdminFixture;
let alpha: string;
let beta: string;
let bob: { userId: string; token: string };
const enc = encodeURIComponent;

beforeAll(async () => {
  f = await startAdminFixture({ config: GENEROUS_LIMITS });
  bob = await makeUser(f.t, "bob");
  alpha = await createRoom(f.t, f.user.token, { name: "Alpha Room", preset: "public_chat", topic: "first" });
  await join(f.t, bob.token, alpha);
  await sendState(f.t, f.user.token, alpha, "m.room.encryption", { algorithm: "m.megolm.v1.aes-sha2" });
  beta = await createRoom(f.t, bob.token, { name: "Beta Room", preset: "private_chat" });
});
afterAll(async () => {
  await f.t.stop();
});

describe("room reads", () => {
  test("non-admins are refused", async () => {
    const r = enc(alpha);
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/rooms");
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/rooms/${r}`);
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/rooms/${r}/members`);
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/rooms/${r}/state`);
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/rooms/${r}/messages`);
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/rooms/${r}/block`);
    await expectAdminOnly(f, "PUT", `/_synapse/admin/v1/rooms/${r}/block`, { block: true });
    await expectAdminOnly(f, "POST", `/_synapse/admin/v1/join/${r}`, { user_id: f.user.userId });
    await expectAdminOnly(f, "POST", `/_synapse/admin/v1/rooms/${r}/make_room_admin`, {});
  });

  test("the room list has Synapse's fields, orderings and paging", async () => {
    const res = await f.t.request("GET", "/_synapse/admin/v1/rooms", { token: f.admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ offset: 0, total_rooms: 2 });
    expect(res.body.rooms.map((r: any) => r.name)).toEqual(["Alpha Room", "Beta Room"]);
    expect(res.body.rooms[0]).toEqual({
      room_id: alpha,
      name: "Alpha Room",
      canonical_alias: null,
      joined_members: 2,
      joined_local_members: 2,
      version: expect.any(String),
      creator: f.user.userId,
      encryption: "m.megolm.v1.aes-sha2",
      federatable: true,
      public: false,
      join_rules: "public",
      guest_access: null,
      history_visibility: "shared",
      state_events: expect.any(Number),
      room_type: null,
    });
    const bySize = await f.t.request("GET", "/_synapse/admin/v1/rooms?order_by=joined_members", { token: f.admin.token });
    expect(bySize.body.rooms[0].room_id).toBe(alpha);
    const bySizeBack = await f.t.request("GET", "/_synapse/admin/v1/rooms?order_by=size&dir=b", { token: f.admin.token });
    expect(bySizeBack.body.rooms[0].room_id).toBe(beta);
    const page = await f.t.request("GET", "/_synapse/admin/v1/rooms?limit=1", { token: f.admin.token });
    expect(page.body.rooms.length).toBe(1);
    expect(page.body.next_batch).toBe(1);
    const page2 = await f.t.request("GET", "/_synapse/admin/v1/rooms?limit=1&from=1", { token: f.admin.token });
    expect(page2.body).toMatchObject({ offset: 1, prev_batch: 0 });
    expect(page2.body.next_batch).toBeUndefined();
  });

  test("search_term matches names (case-insensitively) and exact room ids; filters", async () => {
    const byName = await f.t.request("GET", "/_synapse/admin/v1/rooms?search_term=beta", { token: f.admin.token });
    expect(byName.body.rooms.map((r: any) => r.room_id)).toEqual([beta]);
    const byId = await f.t.request("GET", `/_synapse/admin/v1/rooms?search_term=${enc(alpha)}`, { token: f.admin.token });
    expect(byId.body.rooms.map((r: any) => r.room_id)).toEqual([alpha]);
    const empty = await f.t.request("GET", "/_synapse/admin/v1/rooms?empty_rooms=true", { token: f.admin.token });
    expect(empty.body.total_rooms).toBe(0);
    const notPublic = await f.t.request("GET", "/_synapse/admin/v1/rooms?public_rooms=false", { token: f.admin.token });
    expect(notPublic.body.total_rooms).toBe(2);
  });

  test("bad list parameters are 400 naming the parameter", async () => {
    for (const [q, field] of [
      ["search_term=", "search_term"],
      ["order_by=colour", "order_by"],
      ["dir=sideways", "dir"],
      ["limit=-5", "limit"],
      ["public_rooms=perhaps", "public_rooms"],
    ]) {
      const res = await f.t.request("GET", `/_synapse/admin/v1/rooms?${q}`, { token: f.admin.token });
      expect(res.status).toBe(400);
      expect(res.body.error).toContain(field!);
    }
  });

  test("details, members and state", async () => {
    const details = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(alpha)}`, { token: f.admin.token });
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({
      room_id: alpha,
      name: "Alpha Room",
      topic: "first",
      avatar: null,
      joined_members: 2,
      joined_local_devices: 2,
      forgotten: false,
      tombstoned: false,
      replacement_room: null,
    });
    const members = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(alpha)}/members`, { token: f.admin.token });
    expect(members.body.total).toBe(2);
    expect(members.body.members.sort()).toEqual([bob.userId, f.user.userId].sort());
    const state = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(alpha)}/state`, { token: f.admin.token });
    expect(state.body.state.some((e: any) => e.type === "m.room.create")).toBe(true);
    const names = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(alpha)}/state?type=m.room.name`, { token: f.admin.token });
    expect(names.body.state.map((e: any) => e.content.name)).toEqual(["Alpha Room"]);
    for (const path of ["", "/members", "/state"]) {
      const missing = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc("!missing:test.local")}${path}`, { token: f.admin.token });
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe("Room not found");
    }
    expect((await f.t.request("GET", "/_synapse/admin/v1/rooms/garbage", { token: f.admin.token })).status).toBe(400);
  });

  test("messages: the admin reads history the room's visibility hides from outsiders, and paginates", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await send(f.t, bob.token, beta, `secret ${i}`));
    const back = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(beta)}/messages?dir=b&limit=2`, { token: f.admin.token });
    expect(back.status).toBe(200);
    expect(back.body.chunk.map((e: any) => e.event_id)).toEqual([ids[2], ids[1]]);
    expect(typeof back.body.end).toBe("string");
    const more = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(beta)}/messages?dir=b&limit=2&from=${enc(back.body.end)}`, { token: f.admin.token });
    expect(more.body.chunk[0].event_id).toBe(ids[0]);
    const filtered = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(beta)}/messages?dir=f&filter=${enc(JSON.stringify({ types: ["m.room.message"] }))}`, { token: f.admin.token });
    expect(filtered.body.chunk.map((e: any) => e.event_id)).toEqual(ids);
    const badFilter = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(beta)}/messages?filter=nope`, { token: f.admin.token });
    expect(badFilter.status).toBe(400);
    const badFrom = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(beta)}/messages?from=zzz`, { token: f.admin.token });
    expect(badFrom.status).toBe(400);
    expect(badFrom.body.error).toContain("from");
  });
});

describe("block, join, make_room_admin", () => {
  test("block and unblock; the admin join refuses blocked rooms", async () => {
    const path = `/_synapse/admin/v1/rooms/${enc(beta)}/block`;
    expect((await f.t.request("GET", path, { token: f.admin.token })).body).toEqual({ block: false });
    expect((await f.t.request("PUT", path, { token: f.admin.token, body: { block: true } })).body).toEqual({ block: true });
    expect((await f.t.request("GET", path, { token: f.admin.token })).body).toEqual({ block: true, user_id: f.admin.userId });
    const join = await f.t.request("POST", `/_synapse/admin/v1/join/${enc(beta)}`, { token: f.admin.token, body: { user_id: f.user.userId } });
    expect(join.status).toBe(403);
    expect((await f.t.request("PUT", path, { token: f.admin.token, body: { block: false } })).body).toEqual({ block: false });
    const bad = await f.t.request("PUT", path, { token: f.admin.token, body: { block: "yes" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("block");
  });

  test("join a user to a public room, and to a private one (invited first by the admin)", async () => {
    const carol = await makeUser(f.t, "carol");
    const res = await f.t.request("POST", `/_synapse/admin/v1/join/${enc(alpha)}`, { token: f.admin.token, body: { user_id: carol.userId } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ room_id: alpha });
    expect((await f.t.request("GET", "/_matrix/client/v3/joined_rooms", { token: carol.token })).body.joined_rooms).toContain(alpha);

    // A private room: the admin must be able to invite, so make them room admin first.
    const priv = await createRoom(f.t, bob.token, { preset: "private_chat" });
    await f.t.request("POST", `/_synapse/admin/v1/rooms/${enc(priv)}/make_room_admin`, { token: f.admin.token, body: {} });
    // make_room_admin invited the admin into the private room; they join it.
    await join(f.t, f.admin.token, priv);
    const res2 = await f.t.request("POST", `/_synapse/admin/v1/join/${enc(priv)}`, { token: f.admin.token, body: { user_id: carol.userId } });
    expect(res2.status).toBe(200);
    expect((await f.t.request("GET", "/_matrix/client/v3/joined_rooms", { token: carol.token })).body.joined_rooms).toContain(priv);
  });

  test("join: bad input", async () => {
    const path = `/_synapse/admin/v1/join/${enc(alpha)}`;
    const missing = await f.t.request("POST", path, { token: f.admin.token, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain("user_id");
    const remote = await f.t.request("POST", path, { token: f.admin.token, body: { user_id: "@x:elsewhere.org" } });
    expect(remote.status).toBe(400);
    const unknown = await f.t.request("POST", path, { token: f.admin.token, body: { user_id: "@ghost:test.local" } });
    expect(unknown.status).toBe(404);
    const badRoom = await f.t.request("POST", "/_synapse/admin/v1/join/nonsense", { token: f.admin.token, body: { user_id: f.user.userId } });
    expect(badRoom.status).toBe(400);
  });

  test("make_room_admin gives the admin the top local power level and invites them", async () => {
    const room = await createRoom(f.t, bob.token, { preset: "private_chat" });
    const res = await f.t.request("POST", `/_synapse/admin/v1/rooms/${enc(room)}/make_room_admin`, { token: f.admin.token, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const state = await f.t.request("GET", `/_synapse/admin/v1/rooms/${enc(room)}/state?type=m.room.power_levels`, { token: f.admin.token });
    const users = state.body.state[0].content.users;
    expect(users[f.admin.userId]).toBe(users[bob.userId] ?? 100);
    const members = await f.t.hs.services.rooms.stores.rooms.membership(room, f.admin.userId);
    expect(members?.membership).toBe("invite");
    // Another user, named in the body.
    const dave = await makeUser(f.t, "dave");
    const res2 = await f.t.request("POST", `/_synapse/admin/v1/rooms/${enc(room)}/make_room_admin`, { token: f.admin.token, body: { user_id: dave.userId } });
    expect(res2.status).toBe(200);
    const bad = await f.t.request("POST", `/_synapse/admin/v1/rooms/${enc(room)}/make_room_admin`, { token: f.admin.token, body: { user_id: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("user_id");
    const noRoom = await f.t.request("POST", `/_synapse/admin/v1/rooms/${enc("!nowhere:test.local")}/make_room_admin`, { token: f.admin.token, body: {} });
    expect(noRoom.status).toBe(400);
    expect(noRoom.body.error).toBe("Server not in room");
  });

  test("joined_rooms and memberships of a user in rooms", async () => {
    const res = await f.t.request("GET", `/_synapse/admin/v1/users/${enc(bob.userId)}/joined_rooms`, { token: f.admin.token });
    expect(res.body.joined_rooms).toContain(alpha);
    expect(res.body.joined_rooms).toContain(beta);
    expect(res.body.total).toBe(res.body.joined_rooms.length);
    const eve = await makeUser(f.t, "eve");
    await invite(f.t, bob.token, beta, eve.userId);
    const m = await f.t.request("GET", `/_synapse/admin/v1/users/${enc(eve.userId)}/memberships`, { token: f.admin.token });
    expect(m.body.memberships).toEqual({ [beta]: "invite" });
  });
});
