import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { adminRegister, register, startAccountsHomeserver, type Account } from "./helpers.ts";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

describe("enable_set_displayname / enable_set_avatar_url: false", () => {
  let t: TestHomeserver;
  beforeAll(async () => (t = await startAccountsHomeserver({ config: { enable_set_displayname: false, enable_set_avatar_url: false } })));
  afterAll(() => t.stop());

  const put = (a: Account, target: string, key: string, value: string) =>
    t.request("PUT", `${V3}/profile/${enc(target)}/${key}`, { token: a.accessToken, body: { [key]: value } });

  test("capabilities say so, with m.profile_fields listing them as disallowed", async () => {
    const a = await register(t, "capa", "pw");
    const caps = (await t.request("GET", `${V3}/capabilities`, { token: a.accessToken })).body.capabilities;
    expect(caps["m.set_displayname"]).toEqual({ enabled: false });
    expect(caps["m.set_avatar_url"]).toEqual({ enabled: false });
    expect(caps["m.profile_fields"]).toEqual({ enabled: true, disallowed: ["displayname", "avatar_url"] });
  });

  test("a value once set cannot be changed or removed by the user; an unset one can be set once", async () => {
    const a = await register(t, "fixed", "pw");
    // Registration gave the display name "fixed".
    const refused = await put(a, a.userId, "displayname", "Other");
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ errcode: "M_FORBIDDEN", error: "Changing display name is disabled on this server" });
    expect((await t.request("DELETE", `${V3}/profile/${enc(a.userId)}/displayname`, { token: a.accessToken })).body.errcode).toBe("M_FORBIDDEN");
    expect((await put(a, a.userId, "avatar_url", "mxc://test.local/first")).status).toBe(200);
    const again = await put(a, a.userId, "avatar_url", "mxc://test.local/second");
    expect(again.body).toEqual({ errcode: "M_FORBIDDEN", error: "Changing avatar is disabled on this server" });
    expect((await t.request("GET", `${V3}/profile/${enc(a.userId)}`)).body).toEqual({ displayname: "fixed", avatar_url: "mxc://test.local/first" });
    // Custom fields are not affected.
    expect((await put(a, a.userId, "m.tz", "Europe/Paris")).status).toBe(200);
  });

  test("server admins may still change them", async () => {
    const a = await register(t, "target", "pw");
    const admin = await t.hs.services.accounts.registration.register({ localpart: "boss", passwordHash: null, admin: true });
    const session = await t.hs.services.accounts.sessions.create(admin);
    const r = await t.request("PUT", `${V3}/profile/${enc(a.userId)}/displayname`, { token: session.accessToken, body: { displayname: "Renamed" } });
    expect(r.status).toBe(200);
    expect((await t.request("GET", `${V3}/profile/${enc(a.userId)}/displayname`)).body).toEqual({ displayname: "Renamed" });
  });
});

describe("require_auth_for_profile_requests and limit_profile_requests_to_users_who_share_rooms", () => {
  let t: TestHomeserver;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  beforeAll(async () => {
    t = await startAccountsHomeserver({
      config: { require_auth_for_profile_requests: true, limit_profile_requests_to_users_who_share_rooms: true, allow_guest_access: true },
    });
    [alice, bob, carol] = [await register(t, "alice", "pw"), await register(t, "bob", "pw"), await register(t, "carol", "pw")];
    const room = await t.request("POST", `${V3}/createRoom`, { token: alice.accessToken, body: { preset: "public_chat" } });
    expect((await t.request("POST", `${V3}/join/${enc(room.body.room_id)}`, { token: bob.accessToken, body: {} })).status).toBe(200);
  });
  afterAll(() => t.stop());

  test("anonymous lookups need a token", async () => {
    const r = await t.request("GET", `${V3}/profile/${enc(alice.userId)}`);
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe("M_MISSING_TOKEN");
    expect((await t.request("GET", `${V3}/profile/${enc(alice.userId)}/displayname`)).status).toBe(401);
  });

  test("users who share a room see each other's profile; others get 403; everyone sees their own", async () => {
    expect((await t.request("GET", `${V3}/profile/${enc(alice.userId)}`, { token: bob.accessToken })).body).toEqual({ displayname: "alice" });
    expect((await t.request("GET", `${V3}/profile/${enc(bob.userId)}/displayname`, { token: alice.accessToken })).status).toBe(200);
    const refused = await t.request("GET", `${V3}/profile/${enc(alice.userId)}`, { token: carol.accessToken });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ errcode: "M_FORBIDDEN", error: "Profile isn't available" });
    expect((await t.request("GET", `${V3}/profile/${enc(carol.userId)}`, { token: carol.accessToken })).status).toBe(200);
  });

  test("guests may not look profiles up when auth is required (Synapse's allow_guest=False)", async () => {
    const guest = await t.request("POST", `${V3}/register?kind=guest`, { body: {} });
    const r = await t.request("GET", `${V3}/profile/${enc(alice.userId)}`, { token: guest.body.access_token });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
  });
});

describe("enable_3pid_changes: true", () => {
  let t: TestHomeserver;
  beforeAll(async () => (t = await startAccountsHomeserver({ config: { enable_3pid_changes: true } })));
  afterAll(() => t.stop());

  test("capabilities report it; adding is still denied (Hearth cannot verify addresses)", async () => {
    const a = await adminRegister(t, "threepid", "pw");
    const caps = (await t.request("GET", `${V3}/capabilities`, { token: a.accessToken })).body.capabilities;
    expect(caps["m.3pid_changes"]).toEqual({ enabled: true });
    const add = await t.request("POST", `${V3}/account/3pid/add`, { token: a.accessToken, body: { client_secret: "x", sid: "y" } });
    expect(add.status).toBe(403);
    expect(add.body.errcode).toBe("M_THREEPID_DENIED");
    const del = await t.request("POST", `${V3}/account/3pid/delete`, { token: a.accessToken, body: { medium: "email", address: "a@b.c" } });
    expect(del.body).toEqual({ id_server_unbind_result: "no-support" });
  });
});
