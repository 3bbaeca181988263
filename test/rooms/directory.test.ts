// Room aliases over HTTP: createRoom's room_alias_name, PUT/GET/DELETE
// /directory/room/{alias}, a room's alias list, canonical alias validation, joins and
// knocks by alias, and aliases moving with an admin room shutdown.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, createRoomAs, enc, expectStatus, registerAdmin, registerUsers, roomPath as room, startRoomsHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;
let carol: Account;
let admin: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob, carol] = await registerUsers(t, "alice", "bob", "carol");
  admin = await registerAdmin(t);
});
afterAll(() => t.stop());

const as = (who: Account) => clientFor(t, who);
const dir = (alias: string) => `/directory/room/${enc(alias)}`;

const createRoom = (body: Record<string, unknown> = {}, who = alice) => createRoomAs(as(who), body);

describe("aliases", () => {
  test("createRoom with room_alias_name maps the alias, sets the canonical alias, and joins resolve it", async () => {
    const res = await as(alice)("POST", "/createRoom", { preset: "public_chat", room_alias_name: "lobby" });
    expectStatus(res, 200);
    expect(res.body.room_alias).toBe("#lobby:test.local");
    const roomId = res.body.room_id;

    const lookup = await t.request("GET", `/_matrix/client/v3${dir("#lobby:test.local")}`);
    expectStatus(lookup, 200);
    expect(lookup.body).toEqual({ room_id: roomId, servers: ["test.local"] });
    const canonical = await as(alice)("GET", `${room(roomId)}/state/m.room.canonical_alias/`);
    expect(canonical.body).toEqual({ alias: "#lobby:test.local" });

    const joined = await as(bob)("POST", `/join/${enc("#lobby:test.local")}`, {});
    expectStatus(joined, 200);
    expect(joined.body.room_id).toBe(roomId);
    expect((await as(bob)("GET", "/joined_rooms")).body.joined_rooms).toContain(roomId);

    // Taken: 400 M_ROOM_IN_USE, and no second room is created.
    const before = (await as(alice)("GET", "/joined_rooms")).body.joined_rooms.length;
    expectStatus(await as(alice)("POST", "/createRoom", { room_alias_name: "lobby" }), 400, "M_ROOM_IN_USE");
    expect((await as(alice)("GET", "/joined_rooms")).body.joined_rooms.length).toBe(before);
    expectStatus(await as(alice)("POST", "/createRoom", { room_alias_name: "no:colons" }), 400, "M_INVALID_PARAM");
    expectStatus(await as(alice)("POST", "/createRoom", { room_alias_name: "" }), 400, "M_INVALID_PARAM");
  });

  test("knock by alias resolves local aliases", async () => {
    const res = await as(alice)("POST", "/createRoom", {
      room_alias_name: "knockers",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }],
    });
    expectStatus(res, 200);
    const knock = await as(carol)("POST", `/knock/${enc("#knockers:test.local")}`, { reason: "let me in" });
    expectStatus(knock, 200);
    expect(knock.body.room_id).toBe(res.body.room_id);
    const member = await as(alice)("GET", `${room(res.body.room_id)}/state/m.room.member/${enc(carol.userId)}`);
    expect(member.body).toMatchObject({ membership: "knock", reason: "let me in" });
  });

  test("PUT /directory/room: members of the room map local aliases once", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    const alias = "#put-test:test.local";
    expectStatus(await as(bob)("PUT", dir(alias), { room_id: roomId }), 403, "M_FORBIDDEN");
    expectStatus(await as(alice)("PUT", dir(alias), { room_id: roomId }), 200);
    expect((await as(bob)("GET", dir(alias))).body.room_id).toBe(roomId);
    const again = await as(alice)("PUT", dir(alias), { room_id: roomId });
    expectStatus(again, 409, "M_UNKNOWN");
    expect(again.body.error).toBe(`Room alias ${alias} already exists`);

    expectStatus(await as(alice)("PUT", dir("#elsewhere:other.example"), { room_id: roomId }), 400, "M_INVALID_PARAM");
    expectStatus(await as(alice)("PUT", dir("not-an-alias"), { room_id: roomId }), 400, "M_INVALID_PARAM");
    expectStatus(await as(alice)("PUT", dir("#x:test.local"), {}), 400, "M_MISSING_PARAM");
    expectStatus(await as(alice)("PUT", dir("#x:test.local"), { room_id: "nope" }), 400, "M_INVALID_PARAM");
    expectStatus(await as(alice)("PUT", dir("#x:test.local"), { room_id: "!unknown:test.local" }), 403, "M_FORBIDDEN");
    expectStatus(await t.request("PUT", `/_matrix/client/v3${dir("#x:test.local")}`, { body: { room_id: roomId } }), 401, "M_MISSING_TOKEN");
  });

  test("GET /directory/room: unknown and remote aliases are 404, no token needed", async () => {
    const res = await t.request("GET", `/_matrix/client/v3${dir("#nobody-here:test.local")}`);
    expectStatus(res, 404, "M_NOT_FOUND");
    expect(res.body.error).toBe("Room alias #nobody-here:test.local not found");
    expectStatus(await t.request("GET", `/_matrix/client/v3${dir("#remote:other.example")}`), 404, "M_NOT_FOUND");
    expectStatus(await t.request("GET", `/_matrix/client/r0${dir("bad")}`), 400, "M_INVALID_PARAM");
  });

  test("GET /rooms/{roomId}/aliases: members, world-readable rooms and admins", async () => {
    const roomId = await createRoom({ preset: "private_chat" });
    await as(alice)("PUT", dir("#list-b:test.local"), { room_id: roomId });
    await as(alice)("PUT", dir("#list-a:test.local"), { room_id: roomId });
    const list = await as(alice)("GET", `${room(roomId)}/aliases`);
    expectStatus(list, 200);
    expect(list.body).toEqual({ aliases: ["#list-a:test.local", "#list-b:test.local"] });
    expectStatus(await as(bob)("GET", `${room(roomId)}/aliases`), 403, "M_FORBIDDEN");
    expect((await as(admin)("GET", `${room(roomId)}/aliases`)).body.aliases).toHaveLength(2);

    await as(alice)("PUT", `${room(roomId)}/state/m.room.history_visibility/`, { history_visibility: "world_readable" });
    expect((await as(bob)("GET", `${room(roomId)}/aliases`)).body.aliases).toHaveLength(2);
    expectStatus(await as(bob)("GET", `${room("!nowhere:test.local")}/aliases`), 403, "M_FORBIDDEN");
    expectStatus(await as(bob)("GET", `/rooms/not-a-room/aliases`), 400, "M_INVALID_PARAM");
  });

  test("DELETE /directory/room: the creator, moderators and admins; others get 403", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await as(carol)("POST", `${room(roomId)}/join`, {});
    // Bob (a plain member) creates one; Alice (the room's admin) may delete it, Carol may not.
    expectStatus(await as(bob)("PUT", dir("#bobs:test.local"), { room_id: roomId }), 200);
    expectStatus(await as(carol)("DELETE", dir("#bobs:test.local")), 403, "M_FORBIDDEN");
    expectStatus(await as(alice)("DELETE", dir("#bobs:test.local")), 200);
    expectStatus(await as(alice)("GET", dir("#bobs:test.local")), 404, "M_NOT_FOUND");
    expectStatus(await as(alice)("DELETE", dir("#bobs:test.local")), 404, "M_NOT_FOUND");

    // Carol may delete her own alias; a server admin (not in the room) may delete anyone's.
    expectStatus(await as(carol)("PUT", dir("#carols:test.local"), { room_id: roomId }), 200);
    expectStatus(await as(carol)("DELETE", dir("#carols:test.local")), 200);
    expectStatus(await as(alice)("PUT", dir("#alices:test.local"), { room_id: roomId }), 200);
    expectStatus(await as(admin)("DELETE", dir("#alices:test.local")), 200);
    expectStatus(await as(bob)("GET", dir("#alices:test.local")), 404);
  });

  test("deleting an alias removes it from the canonical alias event", async () => {
    const res = await as(alice)("POST", "/createRoom", { preset: "public_chat", room_alias_name: "canon" });
    const roomId = res.body.room_id;
    await as(alice)("PUT", dir("#canon-alt:test.local"), { room_id: roomId });
    await as(alice)("PUT", dir("#canon-keep:test.local"), { room_id: roomId });
    expectStatus(
      await as(alice)("PUT", `${room(roomId)}/state/m.room.canonical_alias/`, {
        alias: "#canon:test.local",
        alt_aliases: ["#canon-alt:test.local", "#canon-keep:test.local"],
      }),
      200,
    );
    expectStatus(await as(alice)("DELETE", dir("#canon:test.local")), 200);
    let canonical = await as(alice)("GET", `${room(roomId)}/state/m.room.canonical_alias/`);
    expect(canonical.body).toEqual({ alt_aliases: ["#canon-alt:test.local", "#canon-keep:test.local"] });
    expectStatus(await as(alice)("DELETE", dir("#canon-alt:test.local")), 200);
    canonical = await as(alice)("GET", `${room(roomId)}/state/m.room.canonical_alias/`);
    expect(canonical.body).toEqual({ alt_aliases: ["#canon-keep:test.local"] });
  });
});

describe("canonical alias validation", () => {
  test("aliases must exist and point to the room: 400 M_BAD_ALIAS otherwise", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    const other = await createRoom({ preset: "public_chat" });
    await as(alice)("PUT", dir("#mine:test.local"), { room_id: roomId });
    await as(alice)("PUT", dir("#theirs:test.local"), { room_id: other });
    const put = (content: unknown) => as(alice)("PUT", `${room(roomId)}/state/m.room.canonical_alias/`, content);

    expectStatus(await put({ alias: "#unknown:test.local" }), 400, "M_BAD_ALIAS");
    expectStatus(await put({ alias: "#theirs:test.local" }), 400, "M_BAD_ALIAS");
    expectStatus(await put({ alias: "#remote:other.example" }), 400, "M_BAD_ALIAS");
    expectStatus(await put({ alt_aliases: ["#mine:test.local", "#theirs:test.local"] }), 400, "M_BAD_ALIAS");
    expectStatus(await put({ alias: "not an alias" }), 400, "M_INVALID_PARAM");
    expectStatus(await put({ alt_aliases: "#mine:test.local" }), 400, "M_INVALID_PARAM");
    expectStatus(await put({ alt_aliases: [42] }), 400, "M_INVALID_PARAM");
    expect((await as(alice)("GET", `${room(roomId)}/state/m.room.canonical_alias/`)).status).toBe(404);

    expectStatus(await put({ alias: "#mine:test.local", alt_aliases: ["#mine:test.local"] }), 200);
    expectStatus(await put({}), 200);
    // Only new aliases are checked: one that stopped resolving may stay.
    expectStatus(await put({ alias: "#mine:test.local" }), 200);
    await as(alice)("DELETE", dir("#mine:test.local"));
    await as(alice)("PUT", dir("#mine2:test.local"), { room_id: roomId });
    await t.hs.services.rooms.events.create(roomId, [
      { type: "m.room.canonical_alias", stateKey: "", content: { alias: "#gone:test.local" }, sender: alice.userId },
    ]);
    expectStatus(await put({ alias: "#gone:test.local", alt_aliases: ["#mine2:test.local"] }), 200);
  });
});

describe("admin shutdown", () => {
  test("a shutdown with a notice room moves the local aliases there and reports them", async () => {
    const res = await as(alice)("POST", "/createRoom", { preset: "public_chat", room_alias_name: "doomed" });
    const roomId = res.body.room_id;
    const del = await t.request("DELETE", `/_synapse/admin/v1/rooms/${enc(roomId)}`, {
      token: admin.accessToken,
      body: { new_room_user_id: admin.userId, purge: true },
    });
    expectStatus(del, 200);
    expect(del.body.local_aliases).toEqual(["#doomed:test.local"]);
    expect((await as(bob)("GET", dir("#doomed:test.local"))).body.room_id).toBe(del.body.new_room_id);
  });

  test("a purge without a notice room deletes the room's aliases", async () => {
    const res = await as(alice)("POST", "/createRoom", { preset: "public_chat", room_alias_name: "purged" });
    const del = await t.request("DELETE", `/_synapse/admin/v1/rooms/${enc(res.body.room_id)}`, { token: admin.accessToken, body: {} });
    expectStatus(del, 200);
    expect(del.body.local_aliases).toEqual([]);
    expectStatus(await as(bob)("GET", dir("#purged:test.local")), 404);
  });
});
