// The published room list over HTTP: GET|PUT /directory/list/room/{roomId} and GET|POST
// /publicRooms with filters and pagination, plus matrix-js-sdk's view of both.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as sdk from "matrix-js-sdk";
import type { TestHomeserver } from "../support/homeserver.ts";
import { silentSdkLogger } from "../support/sdk.ts";
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
const list = (id: string) => `/directory/list/room/${enc(id)}`;

const createRoom = (body: Record<string, unknown> = {}, who = alice) => createRoomAs(as(who), body);

describe("room visibility in the directory", () => {
  test("GET is public without a token; PUT needs moderator power or server admin", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    const get = () => t.request("GET", `/_matrix/client/v3${list(roomId)}`);
    expect((await get()).body).toEqual({ visibility: "private" });
    expectStatus(await t.request("GET", `/_matrix/client/v3${list("!unknown:test.local")}`), 404, "M_NOT_FOUND");

    const notMember = await as(bob)("PUT", list(roomId), { visibility: "public" });
    expectStatus(notMember, 403, "M_FORBIDDEN");
    await as(bob)("POST", `${room(roomId)}/join`, {});
    const noPower = await as(bob)("PUT", list(roomId), { visibility: "public" });
    expectStatus(noPower, 403, "M_FORBIDDEN");
    expect(noPower.body.error).toBe("This server requires you to be a moderator in the room to edit its room list entry");
    expect((await get()).body.visibility).toBe("private");

    expectStatus(await as(alice)("PUT", list(roomId), { visibility: "public" }), 200);
    expect((await get()).body.visibility).toBe("public");
    expectStatus(await as(admin)("PUT", list(roomId), { visibility: "private" }), 200);
    expect((await get()).body.visibility).toBe("private");
    // visibility defaults to public.
    expectStatus(await as(alice)("PUT", list(roomId), {}), 200);
    expect((await get()).body.visibility).toBe("public");

    expectStatus(await as(alice)("PUT", list(roomId), { visibility: "hidden" }), 400, "M_INVALID_PARAM");
    expectStatus(await as(alice)("PUT", list("!unknown:test.local"), { visibility: "public" }), 404, "M_NOT_FOUND");
    expectStatus(await as(alice)("PUT", list("bad"), { visibility: "public" }), 400, "M_INVALID_PARAM");
    expectStatus(await t.request("PUT", `/_matrix/client/v3${list(roomId)}`, { body: { visibility: "public" } }), 401);
  });

  test("createRoom with visibility public publishes the room", async () => {
    const roomId = await createRoom({ visibility: "public", name: "Published at birth" });
    expect((await as(bob)("GET", list(roomId))).body.visibility).toBe("public");
    const listed = await as(bob)("POST", "/publicRooms", { filter: { generic_search_term: "published at birth" } });
    expect(listed.body.chunk.map((r: any) => r.room_id)).toEqual([roomId]);
  });
});

describe("/publicRooms", () => {
  test("lists joinable or world-readable published rooms with the spec's fields, largest first, paginated", async () => {
    // A fresh server, so the list holds only these rooms.
    const t2 = await startRoomsHomeserver();
    try {
      const [u1, u2, u3] = await registerUsers(t2, "u1", "u2", "u3");
      const c = (a: Account) => clientFor(t2, a);
      const create = async (body: Record<string, unknown>) => (await c(u1!)("POST", "/createRoom", body)).body.room_id as string;

      const big = await create({
        visibility: "public",
        preset: "public_chat",
        name: "Big Room",
        topic: "Everything about kettles",
        room_alias_name: "big",
        initial_state: [
          { type: "m.room.avatar", content: { url: "mxc://test.local/avatar" } },
          { type: "m.room.guest_access", content: { guest_access: "can_join" } },
        ],
      });
      for (const u of [u2!, u3!]) await c(u)("POST", `/rooms/${enc(big)}/join`, {});
      const medium = await create({ visibility: "public", preset: "public_chat", name: "Medium" });
      await c(u2!)("POST", `/rooms/${enc(medium)}/join`, {});
      const space = await create({ visibility: "public", preset: "public_chat", name: "A space", creation_content: { type: "m.space" } });
      const readable = await create({
        visibility: "public",
        preset: "private_chat",
        name: "Readable",
        initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "world_readable" } }],
      });
      // Published but invite-only and not readable: not listed. Private: not listed.
      await create({ visibility: "public", preset: "private_chat", name: "Invite only" });
      await create({ preset: "public_chat", name: "Unpublished" });
      // Published, but everyone left: not listed.
      const empty = await create({ visibility: "public", preset: "public_chat", name: "Empty" });
      await c(u1!)("POST", `/rooms/${enc(empty)}/leave`, {});

      const all = await c(u2!)("GET", "/publicRooms");
      expectStatus(all, 200);
      expect(all.body.total_room_count_estimate, JSON.stringify(all.body.chunk)).toBe(4);
      expect(all.body.next_batch).toBeUndefined();
      expect(all.body.prev_batch).toBeUndefined();
      const ids = all.body.chunk.map((r: any) => r.room_id);
      expect(ids.slice(0, 2)).toEqual([big, medium]);
      expect(ids.slice(2).sort()).toEqual([space, readable].sort());
      // Equal member counts: room id descending.
      expect(ids.slice(2)).toEqual([space, readable].sort().reverse());
      expect(all.body.chunk[0]).toEqual({
        room_id: big,
        name: "Big Room",
        topic: "Everything about kettles",
        canonical_alias: "#big:test.local",
        num_joined_members: 3,
        world_readable: false,
        guest_can_join: true,
        avatar_url: "mxc://test.local/avatar",
        join_rule: "public",
      });
      expect(all.body.chunk.find((r: any) => r.room_id === space)).toMatchObject({ room_type: "m.space", num_joined_members: 1 });
      expect(all.body.chunk.find((r: any) => r.room_id === readable)).toMatchObject({ world_readable: true, join_rule: "invite" });

      // Forwards page by page, then back.
      const p1 = await c(u2!)("GET", "/publicRooms?limit=2");
      expect(p1.body.chunk.map((r: any) => r.room_id)).toEqual([big, medium]);
      expect(p1.body.prev_batch).toBeUndefined();
      expect(typeof p1.body.next_batch).toBe("string");
      expect(p1.body.total_room_count_estimate).toBe(4);
      const p2 = await c(u2!)("GET", `/publicRooms?limit=2&since=${enc(p1.body.next_batch)}`);
      expect(p2.body.chunk.map((r: any) => r.room_id)).toEqual(ids.slice(2));
      expect(p2.body.next_batch).toBeUndefined();
      const back = await c(u2!)("POST", "/publicRooms", { limit: 2, since: p2.body.prev_batch });
      expect(back.body.chunk.map((r: any) => r.room_id)).toEqual([big, medium]);
      expect(back.body.prev_batch).toBeUndefined();
      expect(back.body.next_batch).toBeDefined();
      const p3 = await c(u2!)("POST", "/publicRooms", { limit: 1, since: p1.body.next_batch });
      expect(p3.body.chunk.map((r: any) => r.room_id)).toEqual([ids[2]]);
      expect(p3.body.prev_batch).toBeDefined();
      expect(p3.body.next_batch).toBeDefined();

      // Filters: the search term (name, topic, alias; any case) and room types.
      const search = async (filter: Record<string, unknown>) =>
        (await c(u2!)("POST", "/publicRooms", { filter })).body as { chunk: Array<{ room_id: string }>; total_room_count_estimate: number };
      expect((await search({ generic_search_term: "KETTLE" })).chunk.map((r) => r.room_id)).toEqual([big]);
      expect((await search({ generic_search_term: "#big:" })).chunk.map((r) => r.room_id)).toEqual([big]);
      expect((await search({ generic_search_term: "medium" })).chunk.map((r) => r.room_id)).toEqual([medium]);
      const s = await search({ generic_search_term: "nothing matches this" });
      expect(s.chunk).toEqual([]);
      expect(s.total_room_count_estimate).toBe(4);
      const spaces = await search({ room_types: ["m.space"] });
      expect(spaces.chunk.map((r) => r.room_id)).toEqual([space]);
      expect(spaces.total_room_count_estimate).toBe(1);
      expect((await search({ room_types: [null] })).chunk.map((r) => r.room_id).sort()).toEqual([big, medium, readable].sort());
      expect((await search({ room_types: [] })).chunk).toHaveLength(4);
      expect((await search({ room_types: ["m.space", null] })).chunk).toHaveLength(4);

      // A named third-party network has no rooms here.
      expect((await c(u2!)("POST", "/publicRooms", { third_party_instance_id: "irc" })).body.chunk).toEqual([]);
      expect((await c(u2!)("GET", "/publicRooms?server=test.local")).body.chunk).toHaveLength(4);
    } finally {
      await t2.stop();
    }
  });

  test("bad input is a 4xx, never a 5xx", async () => {
    const a = as(alice);
    const cases: Array<[string, string, unknown?]> = [
      ["GET", "/publicRooms?limit=abc"],
      ["GET", "/publicRooms?limit=-1"],
      ["GET", "/publicRooms?since=garbage"],
      ["GET", `/publicRooms?since=${Buffer.from('["x",1,2]').toString("base64url")}`],
      ["GET", "/publicRooms?server=other.example"],
      ["GET", "/publicRooms?server=bad%20server"],
      ["POST", "/publicRooms", { limit: "ten" }],
      ["POST", "/publicRooms", { limit: 1.5 }],
      ["POST", "/publicRooms", { limit: -3 }],
      ["POST", "/publicRooms", { since: 7 }],
      ["POST", "/publicRooms", { filter: "x" }],
      ["POST", "/publicRooms", { filter: { generic_search_term: 5 } }],
      ["POST", "/publicRooms", { filter: { room_types: "m.space" } }],
      ["POST", "/publicRooms", { filter: { room_types: [5] } }],
      ["POST", "/publicRooms", { include_all_networks: "yes" }],
      ["POST", "/publicRooms", { include_all_networks: true, third_party_instance_id: "irc" }],
      ["POST", "/publicRooms", "not json"],
      ["POST", "/publicRooms", [1, 2]],
      ["PUT", "/directory/list/room/!x:test.local", "nope"],
      ["PUT", "/directory/list/room/!x:test.local", { visibility: 3 }],
      ["PUT", `/directory/room/${enc("#a:test.local")}`, { room_id: 5 }],
      ["PUT", `/directory/room/${enc("#a:test.local")}`, "nope"],
      ["PUT", `/directory/room/${enc("#" + "a".repeat(300) + ":test.local")}`, { room_id: "!a:test.local" }],
      ["DELETE", `/directory/room/${enc("#:test.local")}`],
      ["GET", `/directory/room/${enc("#a:")}`],
      ["GET", `/rooms/${enc("#notaroom:test.local")}/aliases`],
    ];
    for (const [method, path, body] of cases) {
      const res = await a(method, path, body);
      expect(res.status >= 400 && res.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`).toBe(true);
      expect(typeof res.body.errcode).toBe("string");
    }
    expectStatus(await t.request("GET", "/_matrix/client/v3/publicRooms"), 401, "M_MISSING_TOKEN");
  });
});

describe("matrix-js-sdk", () => {
  test("getRoomIdForAlias, publicRooms and setRoomDirectoryVisibility", async () => {
    const client = sdk.createClient({ baseUrl: t.baseUrl, userId: carol.userId, accessToken: carol.accessToken, deviceId: carol.deviceId, logger: silentSdkLogger });
    const { room_id: roomId } = await client.createRoom({ room_alias_name: "sdk-room", name: "SDK directory room", preset: sdk.Preset.PublicChat });
    const resolved = await client.getRoomIdForAlias("#sdk-room:test.local");
    expect(resolved.room_id).toBe(roomId);
    expect(resolved.servers).toEqual(["test.local"]);

    await client.setRoomDirectoryVisibility(roomId, sdk.Visibility.Public);
    expect((await client.getRoomDirectoryVisibility(roomId)).visibility).toBe(sdk.Visibility.Public);
    const found = await client.publicRooms({ filter: { generic_search_term: "SDK directory" } });
    expect(found.chunk.map((r) => r.room_id)).toEqual([roomId]);
    expect(found.chunk[0]!.canonical_alias).toBe("#sdk-room:test.local");
    const page = await client.publicRooms({ limit: 100 });
    expect(page.chunk.some((r) => r.room_id === roomId)).toBe(true);

    await client.createAlias("#sdk-second:test.local", roomId);
    expect((await client.getLocalAliases(roomId)).aliases).toEqual(["#sdk-room:test.local", "#sdk-second:test.local"]);
    await client.deleteAlias("#sdk-second:test.local");
    await expect(client.getRoomIdForAlias("#sdk-second:test.local")).rejects.toMatchObject({ errcode: "M_NOT_FOUND" });
  });
});
