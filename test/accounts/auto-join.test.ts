import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { AutoJoin, type AutoJoinRoomOps } from "../../src/accounts/auto-join.ts";
import { adminRegister, register, sharedSecretMac, startAccountsHomeserver, type Account } from "./helpers.ts";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

const joinedRooms = async (t: TestHomeserver, a: Account): Promise<string[]> =>
  (await t.request("GET", `${V3}/joined_rooms`, { token: a.accessToken })).body.joined_rooms;
const aliasTarget = async (t: TestHomeserver, alias: string): Promise<string | undefined> =>
  (await t.request("GET", `${V3}/directory/room/${enc(alias)}`)).body.room_id;
const joinRule = async (t: TestHomeserver, a: Account, roomId: string) =>
  (await t.request("GET", `${V3}/rooms/${enc(roomId)}/state/m.room.join_rules/`, { token: a.accessToken })).body.join_rule;

/** Shared-secret registration with a user type (bots are not "real" users). */
async function registerBot(t: TestHomeserver, username: string): Promise<Account> {
  const { nonce } = (await t.request("GET", "/_synapse/admin/v1/register")).body;
  const mac = sharedSecretMac("test-shared-secret", [nonce, username, "pw", "notadmin", "bot"]);
  const r = await t.request("POST", "/_synapse/admin/v1/register", { body: { nonce, username, password: "pw", mac, admin: false, user_type: "bot" } });
  expect(r.status).toBe(200);
  return { userId: r.body.user_id, accessToken: r.body.access_token, deviceId: r.body.device_id };
}

describe("auto_join_rooms, created by the first real user", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver({ config: { auto_join_rooms: ["#lobby:test.local", "#help:test.local"], allow_guest_access: true } });
  });
  afterAll(() => t.stop());

  test("a bot registering first creates nothing; the first real user creates public rooms with the aliases", async () => {
    const bot = await registerBot(t, "botty");
    expect(await joinedRooms(t, bot)).toEqual([]);
    expect(await aliasTarget(t, "#lobby:test.local")).toBeUndefined();

    const first = await register(t, "first", "pw");
    const lobby = await aliasTarget(t, "#lobby:test.local");
    const help = await aliasTarget(t, "#help:test.local");
    expect(lobby).toMatch(/^!/);
    expect(help).toMatch(/^!/);
    expect((await joinedRooms(t, first)).sort()).toEqual([lobby!, help!].sort());
    expect(await joinRule(t, first, lobby!)).toBe("public");
  });

  test("later users, guests and admin-created users join the same rooms", async () => {
    const lobby = (await aliasTarget(t, "#lobby:test.local"))!;
    const second = await register(t, "second", "pw");
    expect(await joinedRooms(t, second)).toHaveLength(2);
    expect(await joinedRooms(t, second)).toContain(lobby);
    const admined = await adminRegister(t, "viaadmin", "pw");
    expect(await joinedRooms(t, admined)).toHaveLength(2);
    const guest = await t.request("POST", `${V3}/register?kind=guest`, { body: {} });
    expect(await joinedRooms(t, { userId: guest.body.user_id, accessToken: guest.body.access_token, deviceId: "" })).toHaveLength(2);
  });
});

describe("auto_join_rooms with auto_join_mxid_localpart and an invite-only preset", () => {
  let t: TestHomeserver;
  let system: Account;
  beforeAll(async () => {
    t = await startAccountsHomeserver({
      config: {
        auto_join_rooms: ["#staff:test.local"],
        autocreate_auto_join_room_preset: "private_chat",
        auto_join_mxid_localpart: "system",
        autocreate_auto_join_rooms_federated: false,
        auto_join_rooms_for_guests: false,
        allow_guest_access: true,
      },
    });
    system = await registerBot(t, "system");
  });
  afterAll(() => t.stop());

  test("the configured user creates the room and invites; every new user is invited and joins", async () => {
    const first = await register(t, "one", "pw");
    const staff = (await aliasTarget(t, "#staff:test.local"))!;
    expect(await joinedRooms(t, first)).toEqual([staff]);
    expect(await joinRule(t, first, staff)).toBe("invite");
    const create = await t.request("GET", `${V3}/rooms/${enc(staff)}/state/m.room.create/`, { token: first.accessToken });
    expect(create.body["m.federate"]).toBe(false);
    expect(await joinedRooms(t, system)).toEqual([staff]);

    const second = await register(t, "two", "pw");
    expect(await joinedRooms(t, second)).toEqual([staff]);
  });

  test("guests are left out with auto_join_rooms_for_guests: false", async () => {
    const guest = await t.request("POST", `${V3}/register?kind=guest`, { body: {} });
    expect(await joinedRooms(t, { userId: guest.body.user_id, accessToken: guest.body.access_token, deviceId: "" })).toEqual([]);
  });
});

describe("auto_join_rooms that cannot be joined", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver({ config: { auto_join_rooms: ["#missing:test.local", "!nowhere:test.local"], autocreate_auto_join_rooms: false } });
  });
  afterAll(() => t.stop());

  test("are logged and skipped; registration still succeeds and nothing is created", async () => {
    const a = await register(t, "lonely", "pw");
    expect(await joinedRooms(t, a)).toEqual([]);
    expect(await aliasTarget(t, "#missing:test.local")).toBeUndefined();
  });
});

describe("AutoJoin with room ids (against fake room operations)", () => {
  const base = { autocreate: true, federated: true, preset: "public_chat" as const, creatorUserId: undefined, requiresInvite: false, forGuests: true };
  const fakeRooms = (rules: Record<string, string>) => {
    const calls: string[] = [];
    const ops: AutoJoinRoomOps = {
      resolve: async (room) => (room.startsWith("!") ? room : null),
      joinRule: async (roomId) => rules[roomId],
      createRoom: async (creator, req) => (calls.push(`create ${creator} ${req.room_alias_name}`), "!new:example.org"),
      join: async (userId, roomId) => void calls.push(`join ${userId} ${roomId}`),
      invite: async (inviter, roomId, target) => void calls.push(`invite ${inviter} ${roomId} ${target}`),
    };
    return { ops, calls };
  };
  const registered = (userId: string) => ({ userId, guest: false, admin: false, userType: null });

  test("a room id is joined, by the first user too (it cannot be created); an alias is created", async () => {
    const { ops, calls } = fakeRooms({ "!public:example.org": "public" });
    const autoJoin = new AutoJoin({ ...base, rooms: ["!public:example.org", "#new:example.org"] }, "example.org", ops, async () => 1);
    await autoJoin.onUserRegistered(registered("@u:example.org"));
    expect(calls).toEqual(["join @u:example.org !public:example.org", "create @u:example.org new"]);
  });

  test("a room that is not public is joined after an invitation from auto_join_mxid_localpart", async () => {
    const { ops, calls } = fakeRooms({ "!private:example.org": "invite" });
    const settings = { ...base, rooms: ["!private:example.org"], creatorUserId: "@system:example.org" };
    await new AutoJoin(settings, "example.org", ops, async () => 5).onUserRegistered(registered("@v:example.org"));
    expect(calls).toEqual(["invite @system:example.org !private:example.org @v:example.org", "join @v:example.org !private:example.org"]);
    // Without an inviter, the room is skipped (logged), not fatal.
    const again = fakeRooms({ "!private:example.org": "invite" });
    await new AutoJoin({ ...settings, creatorUserId: undefined }, "example.org", again.ops, async () => 5).onUserRegistered(registered("@w:example.org"));
    expect(again.calls).toEqual([]);
  });
});
