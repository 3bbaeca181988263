import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;
let carol: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob, carol] = await registerUsers(t, "alice", "bob", "carol");
});
afterAll(() => t.stop());

async function timeline(roomId: string, who: Account = alice) {
  const res = await clientFor(t, who)("GET", `/rooms/${enc(roomId)}/messages?dir=f&limit=100`);
  expect(res.status).toBe(200);
  return res.body.chunk as Array<Record<string, any>>;
}

describe("POST /createRoom", () => {
  test("sends the initial events in the spec's order", async () => {
    const a = clientFor(t, alice);
    const res = await a("POST", "/createRoom", {
      name: "Ordered",
      topic: "about order",
      invite: [bob.userId],
      initial_state: [{ type: "m.room.avatar", content: { url: "mxc://x/y" } }],
    });
    expect(res.status).toBe(200);
    const events = await timeline(res.body.room_id);
    expect(events.map((e) => `${e.type}|${e.state_key ?? ""}`)).toEqual([
      "m.room.create|",
      `m.room.member|${alice.userId}`,
      "m.room.power_levels|",
      "m.room.join_rules|",
      "m.room.history_visibility|",
      "m.room.guest_access|",
      "m.room.avatar|",
      "m.room.name|",
      "m.room.topic|",
      `m.room.member|${bob.userId}`,
    ]);
    expect(events[7]!.content).toEqual({ name: "Ordered" });
    expect(events[8]!.content.topic).toBe("about order");
    expect(events[9]!.content.membership).toBe("invite");
  });

  test("defaults to room version 12 with the room id derived from the create event", async () => {
    const res = await clientFor(t, alice)("POST", "/createRoom", {});
    const roomId = res.body.room_id as string;
    const [create] = await timeline(roomId);
    expect(create!.type).toBe("m.room.create");
    expect(create!.content.room_version).toBe("12");
    expect(create!.content.creator).toBeUndefined();
    expect(roomId).toBe(`!${create!.event_id.slice(1)}`);
    expect(roomId).not.toContain(":");
    // v12 creators have infinite power and are not listed; tombstone needs more than state_default.
    const pl = (await clientFor(t, alice)("GET", `/rooms/${enc(roomId)}/state/m.room.power_levels/`)).body;
    expect(pl.users).toEqual({});
    expect(pl.events["m.room.tombstone"]).toBe(150);
  });

  test.each(["10", "11"])("creates rooms of version %s with a server-chosen room id", async (version) => {
    const res = await clientFor(t, alice)("POST", "/createRoom", { room_version: version, preset: "public_chat" });
    expect(res.status).toBe(200);
    expect(res.body.room_id).toMatch(/^![A-Za-z]{18}:test\.local$/);
    const [create] = await timeline(res.body.room_id);
    expect(create!.content.room_version).toBe(version);
    if (version === "10") expect(create!.content.creator).toBe(alice.userId);
    else expect(create!.content.creator).toBeUndefined();
    const pl = (await clientFor(t, alice)("GET", `/rooms/${enc(res.body.room_id)}/state/m.room.power_levels`)).body;
    expect(pl.users).toEqual({ [alice.userId]: 100 });
    expect(pl.invite).toBe(50);
  });

  test("refuses unknown room versions", async () => {
    for (const version of ["13", "9", "bogus"]) {
      const res = await clientFor(t, alice)("POST", "/createRoom", { room_version: version });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");
    }
  });

  test("presets set join rules, history visibility and guest access", async () => {
    const a = clientFor(t, alice);
    const state = async (roomId: string, type: string) => (await a("GET", `/rooms/${enc(roomId)}/state/${type}/`));
    const pub = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    expect((await state(pub, "m.room.join_rules")).body.join_rule).toBe("public");
    expect((await state(pub, "m.room.history_visibility")).body.history_visibility).toBe("shared");
    expect((await state(pub, "m.room.guest_access")).status).toBe(404);
    const viaVisibility = (await a("POST", "/createRoom", { visibility: "public" })).body.room_id;
    expect((await state(viaVisibility, "m.room.join_rules")).body.join_rule).toBe("public");
    const priv = (await a("POST", "/createRoom", { preset: "private_chat" })).body.room_id;
    expect((await state(priv, "m.room.join_rules")).body.join_rule).toBe("invite");
    expect((await state(priv, "m.room.guest_access")).body.guest_access).toBe("can_join");
    expect((await state(priv, "m.room.power_levels")).body.invite).toBe(0);
  });

  test("trusted_private_chat makes invitees creators (v12) or gives them 100 (v11)", async () => {
    const a = clientFor(t, alice);
    const v12 = (await a("POST", "/createRoom", { preset: "trusted_private_chat", invite: [bob.userId], is_direct: true })).body.room_id;
    const events = await timeline(v12);
    expect(events[0]!.content.additional_creators).toEqual([bob.userId]);
    const invite = events.find((e) => e.type === "m.room.member" && e.state_key === bob.userId)!;
    expect(invite.content).toMatchObject({ membership: "invite", is_direct: true });
    const v11 = (await a("POST", "/createRoom", { preset: "trusted_private_chat", invite: [bob.userId], room_version: "11" })).body.room_id;
    const pl = (await a("GET", `/rooms/${enc(v11)}/state/m.room.power_levels/`)).body;
    expect(pl.users).toEqual({ [alice.userId]: 100, [bob.userId]: 100 });
  });

  test("power_level_content_override and initial_state take effect; name and topic win over initial_state", async () => {
    const a = clientFor(t, alice);
    const res = await a("POST", "/createRoom", {
      power_level_content_override: { events_default: 20, users: { [carol.userId]: 30 } },
      initial_state: [
        { type: "m.room.name", content: { name: "from initial_state" } },
        { type: "m.room.history_visibility", content: { history_visibility: "joined" } },
        { type: "org.example.custom", state_key: "k", content: { x: 1 } },
      ],
      name: "from name",
    });
    expect(res.status).toBe(200);
    const roomId = res.body.room_id;
    const pl = (await a("GET", `/rooms/${enc(roomId)}/state/m.room.power_levels/`)).body;
    expect(pl.events_default).toBe(20);
    expect(pl.users).toEqual({ [carol.userId]: 30 });
    expect((await a("GET", `/rooms/${enc(roomId)}/state/m.room.name/`)).body.name).toBe("from name");
    expect((await a("GET", `/rooms/${enc(roomId)}/state/m.room.history_visibility/`)).body.history_visibility).toBe("joined");
    expect((await a("GET", `/rooms/${enc(roomId)}/state/org.example.custom/k`)).body).toEqual({ x: 1 });
  });

  test("creation_content is kept, but the server sets room_version and creator", async () => {
    const res = await clientFor(t, alice)("POST", "/createRoom", {
      room_version: "10",
      creation_content: { "m.federate": false, type: "m.space", creator: "@mallory:evil", room_version: "1" },
    });
    expect(res.status).toBe(200);
    const [create] = await timeline(res.body.room_id);
    expect(create!.content).toEqual({ "m.federate": false, type: "m.space", creator: alice.userId, room_version: "10" });
  });

  test("rejects bad input with 4xx and creates nothing", async () => {
    const a = clientFor(t, alice);
    const before = (await a("GET", "/joined_rooms")).body.joined_rooms.length;
    const bad: unknown[] = [
      { invite: ["not-a-user"] },
      { invite: "x" },
      { preset: "party" },
      { visibility: "hidden" },
      { name: 5 },
      { initial_state: [{ content: {} }] },
      { initial_state: [{ type: "m.room.name", content: [] }] },
      { creation_content: "x" },
      { power_level_content_override: { users: { [bob.userId]: "100" } } },
      { initial_state: [{ type: "m.room.member", state_key: bob.userId, content: { membership: "join" } }] },
      { room_alias_name: "no:pe" },
      { invite_3pid: [{ id_server: "x", medium: "email", address: "a@b.c" }] },
      { topic: "x".repeat(70000) },
    ];
    for (const body of bad) {
      const res = await a("POST", "/createRoom", body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect((await a("POST", "/createRoom", "not json")).status).toBe(400);
    expect((await a("GET", "/joined_rooms")).body.joined_rooms.length).toBe(before);
  });

  test("a canonical alias in initial_state is checked as PUT /state checks it", async () => {
    const a = clientFor(t, alice);
    const existing = (await a("POST", "/createRoom", { room_alias_name: "taken-elsewhere" })).body.room_id;
    expect(existing).toBeDefined();
    const before = (await a("GET", "/joined_rooms")).body.joined_rooms.length;
    const withAlias = (content: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      a("POST", "/createRoom", { ...extra, initial_state: [{ type: "m.room.canonical_alias", state_key: "", content }] });
    const refused: Array<[Record<string, unknown>, Record<string, unknown>, string]> = [
      // Aliases of another room, unknown or remote ones do not point to the new room.
      [{ alias: "#taken-elsewhere:test.local" }, {}, "M_BAD_ALIAS"],
      [{ alias: "#unknown:test.local" }, {}, "M_BAD_ALIAS"],
      [{ alias: "#far:remote.example" }, {}, "M_BAD_ALIAS"],
      [{ alias: "#fresh1:test.local", alt_aliases: ["#taken-elsewhere:test.local"] }, { room_alias_name: "fresh1" }, "M_BAD_ALIAS"],
      [{ alias: "#other:test.local" }, { room_alias_name: "fresh2" }, "M_BAD_ALIAS"],
      // Malformed content.
      [{ alias: "not an alias" }, {}, "M_INVALID_PARAM"],
      [{ alias: 5 }, {}, "M_INVALID_PARAM"],
      [{ alt_aliases: "#x:test.local" }, {}, "M_INVALID_PARAM"],
      [{ alt_aliases: ["nope"] }, {}, "M_INVALID_PARAM"],
    ];
    for (const [content, extra, errcode] of refused) {
      const res = await withAlias(content, extra);
      expect(res.status, JSON.stringify(content)).toBe(400);
      expect(res.body.errcode, JSON.stringify(content)).toBe(errcode);
    }
    // A later entry replaces an earlier one, as the events are built.
    const replaced = await a("POST", "/createRoom", {
      initial_state: [
        { type: "m.room.canonical_alias", content: { alias: "#unknown:test.local" } },
        { type: "m.room.canonical_alias", content: {} },
      ],
    });
    expect(replaced.status).toBe(200);
    expect((await a("GET", "/joined_rooms")).body.joined_rooms.length).toBe(before + 1);
    // Nothing of a refused room was left behind: its alias is free.
    expect((await a("GET", `/directory/room/${enc("#fresh1:test.local")}`)).status).toBe(404);

    // room_alias_name's own alias points to the new room, as canonical and alt alias.
    const ok = await withAlias({ alias: "#mine:test.local", alt_aliases: ["#mine:test.local"] }, { room_alias_name: "mine" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const state = await a("GET", `/rooms/${enc(ok.body.room_id)}/state/m.room.canonical_alias/`);
    expect(state.body).toEqual({ alias: "#mine:test.local", alt_aliases: ["#mine:test.local"] });
  });

  test("an event over 65536 bytes is 413 M_TOO_LARGE", async () => {
    const res = await clientFor(t, alice)("POST", "/createRoom", { topic: "x".repeat(70000) });
    expect(res.status).toBe(413);
    expect(res.body.errcode).toBe("M_TOO_LARGE");
  });

  test("the creator is joined and sees the room in /joined_rooms", async () => {
    const a = clientFor(t, alice);
    const roomId = (await a("POST", "/createRoom", {})).body.room_id;
    expect((await a("GET", "/joined_rooms")).body.joined_rooms).toContain(roomId);
    const joined = (await a("GET", `/rooms/${enc(roomId)}/joined_members`)).body.joined;
    expect(Object.keys(joined)).toEqual([alice.userId]);
    expect(joined[alice.userId].display_name).toBe("alice");
  });
});

describe("unsigned of initial state events", () => {
  test("the create event replaces nothing; a changed name points at the old one", async () => {
    const a = clientFor(t, alice);
    const { body } = await a("POST", "/createRoom", { name: "First" });
    const events = await timeline(body.room_id);
    const create = events.find((e) => e.type === "m.room.create")!;
    expect(create.unsigned?.replaces_state).toBeUndefined();
    expect(create.unsigned?.prev_content).toBeUndefined();
    const firstName = events.find((e) => e.type === "m.room.name")!;
    expect(firstName.unsigned?.replaces_state).toBeUndefined();
    await a("PUT", `/rooms/${enc(body.room_id)}/state/m.room.name/`, { name: "Second" });
    const renamed = (await timeline(body.room_id)).filter((e) => e.type === "m.room.name").at(-1)!;
    expect(renamed.unsigned.replaces_state).toBe(firstName.event_id);
    expect(renamed.unsigned.prev_content).toEqual({ name: "First" });
  });
});
