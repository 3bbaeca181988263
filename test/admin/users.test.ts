import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { capturedLogs } from "../support/logs.ts";
import { expectAdminOnly, makeUser, startAdminFixture, type AdminFixture } from "./helpers.ts";

let f: AdminFixture;
const enc = encodeURIComponent;

beforeAll(async () => {
  f = await startAdminFixture();
});
afterAll(() => f.t.stop());

describe("admin access", () => {
  test("a non-admin gets 403 'You are not a server admin', no token 401", async () => {
    await expectAdminOnly(f, "GET", "/_synapse/admin/v2/users");
    await expectAdminOnly(f, "GET", `/_synapse/admin/v2/users/${enc(f.user.userId)}`);
    await expectAdminOnly(f, "PUT", `/_synapse/admin/v2/users/${enc("@new:test.local")}`, { password: "x" });
    await expectAdminOnly(f, "POST", `/_synapse/admin/v1/deactivate/${enc(f.user.userId)}`, {});
    await expectAdminOnly(f, "POST", `/_synapse/admin/v1/reset_password/${enc(f.user.userId)}`, { new_password: "x" });
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/users/${enc(f.user.userId)}/admin`);
    await expectAdminOnly(f, "PUT", `/_synapse/admin/v1/users/${enc(f.user.userId)}/admin`, { admin: true });
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/whois/${enc(f.admin.userId)}`);
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/users/${enc(f.user.userId)}/joined_rooms`);
    await expectAdminOnly(f, "GET", `/_synapse/admin/v1/users/${enc(f.user.userId)}/memberships`);
    await expectAdminOnly(f, "POST", `/_synapse/admin/v1/users/${enc(f.admin.userId)}/login`, {});
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/username_available?username=free");
    await expectAdminOnly(f, "POST", `/_synapse/admin/v1/users/${enc(f.user.userId)}/shadow_ban`);
    await expectAdminOnly(f, "DELETE", `/_synapse/admin/v1/users/${enc(f.user.userId)}/shadow_ban`);
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/background_updates/status");
  });

  test("every admin call is logged at INFO with the admin and the target, never the body", async () => {
    capturedLogs.length = 0;
    const res = await f.t.request("POST", `/_synapse/admin/v1/reset_password/${enc("@nobody:test.local")}`, {
      token: f.admin.token,
      body: { new_password: "s3cret-password-xyz" },
    });
    expect(res.status).toBe(404);
    const audit = capturedLogs.filter((r) => r.category.join(".") === "hearth.admin.audit");
    expect(audit.length).toBe(1);
    expect(audit[0]!.level).toBe("info");
    expect(audit[0]!.properties).toMatchObject({ admin: f.admin.userId, action: "admin_user_reset_password", target: "@nobody:test.local", status: 404 });
    const everything = JSON.stringify(capturedLogs.map((r) => [r.message, r.properties]));
    expect(everything).not.toContain("s3cret-password-xyz");
    expect(everything).not.toContain(f.admin.token);
  });

  test("a refused non-admin call is audited too", async () => {
    capturedLogs.length = 0;
    await f.t.request("GET", "/_synapse/admin/v2/users", { token: f.user.token });
    const audit = capturedLogs.filter((r) => r.category.join(".") === "hearth.admin.audit");
    expect(audit[0]?.properties).toMatchObject({ admin: f.user.userId, status: 403, errcode: "M_FORBIDDEN" });
  });
});

describe("server", () => {
  test("server_version answers without a token, like Synapse", async () => {
    const res = await f.t.request("GET", "/_synapse/admin/v1/server_version");
    expect(res.status).toBe(200);
    expect(res.body.server_version).toMatch(/^\d+\.\d+\.\d+ \(Hearth/);
  });

  test("background_updates/status says honestly that nothing runs", async () => {
    const res = await f.t.request("GET", "/_synapse/admin/v1/background_updates/status", { token: f.admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ enabled: true, current_updates: {} });
  });
});

describe("GET /_synapse/admin/v2/users", () => {
  test("lists users with Synapse's fields, paging with next_token and total", async () => {
    for (const name of ["bob", "carol", "dave"]) await makeUser(f.t, `list_${name}`);
    const all = await f.t.request("GET", "/_synapse/admin/v2/users?name=list_", { token: f.admin.token });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.next_token).toBeUndefined();
    expect(all.body.users.map((u: any) => u.name)).toEqual(["@list_bob:test.local", "@list_carol:test.local", "@list_dave:test.local"]);
    expect(Object.keys(all.body.users[0]).sort()).toEqual(
      ["admin", "avatar_url", "creation_ts", "deactivated", "displayname", "erased", "is_guest", "last_seen_ts", "locked", "name", "shadow_banned", "user_type"].sort(),
    );
    expect(all.body.users[0].creation_ts).toBeGreaterThan(1e12); // milliseconds in the list

    const page1 = await f.t.request("GET", "/_synapse/admin/v2/users?name=list_&limit=2", { token: f.admin.token });
    expect(page1.body.users.length).toBe(2);
    expect(page1.body.next_token).toBe("2");
    const page2 = await f.t.request("GET", `/_synapse/admin/v2/users?name=list_&limit=2&from=${page1.body.next_token}`, { token: f.admin.token });
    expect(page2.body.users.map((u: any) => u.name)).toEqual(["@list_dave:test.local"]);
    expect(page2.body.next_token).toBeUndefined();

    const back = await f.t.request("GET", "/_synapse/admin/v2/users?name=list_&dir=b", { token: f.admin.token });
    expect(back.body.users[0].name).toBe("@list_dave:test.local");
  });

  test("filters: name matches display names, user_id substrings, admins, deactivated", async () => {
    const byDisplay = await f.t.request("GET", "/_synapse/admin/v2/users?name=ALIC", { token: f.admin.token });
    expect(byDisplay.body.users.map((u: any) => u.name)).toEqual([f.user.userId]);
    const byId = await f.t.request("GET", "/_synapse/admin/v2/users?user_id=admin", { token: f.admin.token });
    expect(byId.body.users.map((u: any) => u.name)).toEqual([f.admin.userId]);
    const admins = await f.t.request("GET", "/_synapse/admin/v2/users?admins=true", { token: f.admin.token });
    expect(admins.body.users.every((u: any) => u.admin)).toBe(true);

    const gone = await makeUser(f.t, "filter_gone");
    await f.t.request("POST", `/_synapse/admin/v1/deactivate/${enc(gone.userId)}`, { token: f.admin.token, body: {} });
    const active = await f.t.request("GET", "/_synapse/admin/v2/users?name=filter_", { token: f.admin.token });
    expect(active.body.total).toBe(0);
    const withDeactivated = await f.t.request("GET", "/_synapse/admin/v2/users?name=filter_&deactivated=true", { token: f.admin.token });
    expect(withDeactivated.body.users.map((u: any) => u.name)).toEqual([gone.userId]);
    const v3Only = await f.t.request("GET", "/_synapse/admin/v3/users?deactivated=true", { token: f.admin.token });
    expect(v3Only.body.users.every((u: any) => u.deactivated)).toBe(true);
    expect(v3Only.body.users.length).toBeGreaterThan(0);
  });

  test("orders by creation_ts and last_seen_ts", async () => {
    const res = await f.t.request("GET", "/_synapse/admin/v2/users?order_by=creation_ts&dir=b&limit=1", { token: f.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.users.length).toBe(1);
    const seen = await f.t.request("GET", "/_synapse/admin/v2/users?order_by=last_seen_ts", { token: f.admin.token });
    expect(seen.status).toBe(200);
  });

  test("bad query parameters are 400 naming the parameter", async () => {
    const cases: Array<[string, string, string]> = [
      ["limit=-1", "M_INVALID_PARAM", "limit"],
      ["from=abc", "M_INVALID_PARAM", "from"],
      ["order_by=password", "M_INVALID_PARAM", "order_by"],
      ["dir=up", "M_INVALID_PARAM", "dir"],
      ["guests=maybe", "M_INVALID_PARAM", "guests"],
    ];
    for (const [query, errcode, field] of cases) {
      const res = await f.t.request("GET", `/_synapse/admin/v2/users?${query}`, { token: f.admin.token });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe(errcode);
      expect(res.body.error).toContain(field);
    }
  });
});

describe("GET/PUT /_synapse/admin/v2/users/<user_id>", () => {
  test("GET shows the account; 404 for an unknown user; 400 for a remote one", async () => {
    const res = await f.t.request("GET", `/_synapse/admin/v2/users/${enc(f.user.userId)}`, { token: f.admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: f.user.userId,
      displayname: "Alice",
      admin: false,
      deactivated: false,
      erased: false,
      locked: false,
      shadow_banned: false,
      is_guest: false,
      user_type: null,
      threepids: [],
      external_ids: [],
    });
    expect(res.body.creation_ts).toBeLessThan(1e11); // seconds, as Synapse's query endpoint gives
    expect(typeof res.body.last_seen_ts).toBe("number");
    expect((await f.t.request("GET", `/_synapse/admin/v2/users/${enc("@ghost:test.local")}`, { token: f.admin.token })).status).toBe(404);
    const remote = await f.t.request("GET", `/_synapse/admin/v2/users/${enc("@x:elsewhere.org")}`, { token: f.admin.token });
    expect(remote.status).toBe(400);
  });

  test("PUT creates a user (201) who can then log in with the password", async () => {
    const userId = "@created:test.local";
    const res = await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(userId)}`, {
      token: f.admin.token,
      body: { password: "correct horse", displayname: "Created One", admin: false, user_type: "bot" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: userId, displayname: "Created One", user_type: "bot", admin: false });
    const login = await f.t.request("POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "created" }, password: "correct horse" },
    });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe(userId);
  });

  test("PUT modifies an existing user (200): display name, admin, lock, user type", async () => {
    const u = await makeUser(f.t, "modme");
    const res = await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(u.userId)}`, {
      token: f.admin.token,
      body: { displayname: "Modified", admin: true, user_type: "support" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ displayname: "Modified", admin: true, user_type: "support" });
    const locked = await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token, body: { locked: true } });
    expect(locked.body.locked).toBe(true);
    // A locked user's token is refused with M_USER_LOCKED.
    const who = await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token });
    expect(who.status).toBe(401);
    expect(who.body.errcode).toBe("M_USER_LOCKED");
    const unlocked = await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token, body: { locked: false } });
    expect(unlocked.body.locked).toBe(false);
    expect((await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token })).status).toBe(200);
  });

  test("PUT with a password logs the user out unless logout_devices is false", async () => {
    const u = await makeUser(f.t, "pwchange");
    await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token, body: { password: "one", logout_devices: false } });
    expect((await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token })).status).toBe(200);
    await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token, body: { password: "two" } });
    expect((await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token })).status).toBe(401);
  });

  test("PUT deactivated:true deactivates, deactivated:false reactivates", async () => {
    const u = await makeUser(f.t, "toggle");
    const off = await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token, body: { deactivated: true } });
    expect(off.body.deactivated).toBe(true);
    expect((await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token })).status).toBe(401);
    const on = await f.t.request("PUT", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token, body: { deactivated: false, password: "back" } });
    expect(on.body.deactivated).toBe(false);
  });

  test("PUT bad input is 400 naming the field", async () => {
    const path = `/_synapse/admin/v2/users/${enc(f.user.userId)}`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ admin: "yes" }, "admin"],
      [{ password: 12 }, "password"],
      [{ logout_devices: "no" }, "logout_devices"],
      [{ deactivated: 1 }, "deactivated"],
      [{ locked: "true" }, "locked"],
      [{ user_type: "wizard" }, "user_type"],
      [{ displayname: 5 }, "displayname"],
      [{ threepids: "a@b.c" }, "threepids"],
    ];
    for (const [body, field] of cases) {
      const res = await f.t.request("PUT", path, { token: f.admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body.error).toContain(field);
    }
    const both = await f.t.request("PUT", path, { token: f.admin.token, body: { deactivated: true, locked: true } });
    expect(both.status).toBe(400);
    const notJson = await f.t.request("PUT", path, { token: f.admin.token, body: "{nope" });
    expect(notJson.body.errcode).toBe("M_NOT_JSON");
    const remote = await f.t.request("PUT", `/_synapse/admin/v2/users/${enc("@x:elsewhere.org")}`, { token: f.admin.token, body: {} });
    expect(remote.status).toBe(400);
  });
});

describe("deactivate, reset_password, admin flag", () => {
  test("deactivate with erase: tokens die, profile goes, erased is set", async () => {
    const u = await makeUser(f.t, "eraseme", { displayName: "Erase Me" });
    const res = await f.t.request("POST", `/_synapse/admin/v1/deactivate/${enc(u.userId)}`, { token: f.admin.token, body: { erase: true } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id_server_unbind_result: "success" });
    expect((await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token })).status).toBe(401);
    const view = await f.t.request("GET", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token });
    expect(view.body).toMatchObject({ deactivated: true, erased: true, displayname: null });
  });

  test("deactivate: empty body allowed, bad erase 400, unknown user 404, remote 400", async () => {
    const u = await makeUser(f.t, "plaindeact");
    const res = await f.t.request("POST", `/_synapse/admin/v1/deactivate/${enc(u.userId)}`, { token: f.admin.token });
    expect(res.status).toBe(200);
    const view = await f.t.request("GET", `/_synapse/admin/v2/users/${enc(u.userId)}`, { token: f.admin.token });
    expect(view.body).toMatchObject({ deactivated: true, erased: false });
    const bad = await f.t.request("POST", `/_synapse/admin/v1/deactivate/${enc(f.user.userId)}`, { token: f.admin.token, body: { erase: "yes" } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe("M_BAD_JSON");
    expect(bad.body.error).toContain("erase");
    expect((await f.t.request("POST", `/_synapse/admin/v1/deactivate/${enc("@ghost:test.local")}`, { token: f.admin.token, body: {} })).status).toBe(404);
    expect((await f.t.request("POST", `/_synapse/admin/v1/deactivate/${enc("@x:elsewhere.org")}`, { token: f.admin.token, body: {} })).status).toBe(400);
    expect((await f.t.request("POST", "/_synapse/admin/v1/deactivate/not-a-user-id", { token: f.admin.token, body: {} })).status).toBe(400);
  });

  test("reset_password sets the password and logs out; bad input names new_password", async () => {
    const u = await makeUser(f.t, "resetme");
    const res = await f.t.request("POST", `/_synapse/admin/v1/reset_password/${enc(u.userId)}`, { token: f.admin.token, body: { new_password: "brand new" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect((await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token })).status).toBe(401);
    const login = await f.t.request("POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "resetme" }, password: "brand new" },
    });
    expect(login.status).toBe(200);
    const missing = await f.t.request("POST", `/_synapse/admin/v1/reset_password/${enc(u.userId)}`, { token: f.admin.token, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe("M_MISSING_PARAM");
    expect(missing.body.error).toContain("new_password");
    const wrongType = await f.t.request("POST", `/_synapse/admin/v1/reset_password/${enc(u.userId)}`, { token: f.admin.token, body: { new_password: 5 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toContain("new_password");
  });

  test("admin flag: get, set, and an admin may not demote themselves", async () => {
    const u = await makeUser(f.t, "promote");
    const path = `/_synapse/admin/v1/users/${enc(u.userId)}/admin`;
    expect((await f.t.request("GET", path, { token: f.admin.token })).body).toEqual({ admin: false });
    expect((await f.t.request("PUT", path, { token: f.admin.token, body: { admin: true } })).status).toBe(200);
    expect((await f.t.request("GET", path, { token: f.admin.token })).body).toEqual({ admin: true });
    const self = await f.t.request("PUT", `/_synapse/admin/v1/users/${enc(f.admin.userId)}/admin`, { token: f.admin.token, body: { admin: false } });
    expect(self.status).toBe(400);
    expect(self.body.error).toBe("You may not demote yourself.");
    const missing = await f.t.request("PUT", path, { token: f.admin.token, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain("admin");
  });
});

describe("whois, rooms, login as, username_available, shadow-ban", () => {
  test("whois lists where the user's devices were seen; users may whois themselves via the client API", async () => {
    const res = await f.t.request("GET", `/_synapse/admin/v1/whois/${enc(f.user.userId)}`, { token: f.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(f.user.userId);
    const conns = res.body.devices[""].sessions[0].connections;
    // The user's earlier requests through the test client updated the device's last-seen address.
    expect(conns[0]).toMatchObject({ ip: "127.0.0.1", last_seen: expect.any(Number) });
    const own = await f.t.request("GET", `/_matrix/client/v3/admin/whois/${enc(f.user.userId)}`, { token: f.user.token });
    expect(own.status).toBe(200);
    const other = await f.t.request("GET", `/_matrix/client/v3/admin/whois/${enc(f.admin.userId)}`, { token: f.user.token });
    expect(other.status).toBe(403);
  });

  test("joined_rooms and memberships of a user without rooms", async () => {
    const res = await f.t.request("GET", `/_synapse/admin/v1/users/${enc(f.user.userId)}/joined_rooms`, { token: f.admin.token });
    expect(res.body).toEqual({ joined_rooms: [], total: 0 });
    const m = await f.t.request("GET", `/_synapse/admin/v1/users/${enc(f.user.userId)}/memberships`, { token: f.admin.token });
    expect(m.body).toEqual({ memberships: {} });
  });

  test("login as a user: a token that acts as the user, refused for oneself", async () => {
    const res = await f.t.request("POST", `/_synapse/admin/v1/users/${enc(f.user.userId)}/login`, { token: f.admin.token, body: {} });
    expect(res.status).toBe(200);
    const who = await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: res.body.access_token });
    expect(who.body.user_id).toBe(f.user.userId);
    // The puppet token creates no device the user would see.
    const devices = await f.t.request("GET", "/_matrix/client/v3/devices", { token: f.user.token });
    expect(devices.body.devices.length).toBe(1);
    const self = await f.t.request("POST", `/_synapse/admin/v1/users/${enc(f.admin.userId)}/login`, { token: f.admin.token, body: {} });
    expect(self.status).toBe(400);
    const bad = await f.t.request("POST", `/_synapse/admin/v1/users/${enc(f.user.userId)}/login`, { token: f.admin.token, body: { valid_until_ms: "soon" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("valid_until_ms");
  });

  test("login as with valid_until_ms: the token expires", async () => {
    const now = f.t.hs.clock.now();
    const res = await f.t.request("POST", `/_synapse/admin/v1/users/${enc(f.user.userId)}/login`, { token: f.admin.token, body: { valid_until_ms: now - 1 } });
    expect(res.status).toBe(200);
    const who = await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: res.body.access_token });
    expect(who.status).toBe(401);
  });

  test("username_available", async () => {
    const free = await f.t.request("GET", "/_synapse/admin/v1/username_available?username=freename", { token: f.admin.token });
    expect(free.body).toEqual({ available: true });
    const taken = await f.t.request("GET", "/_synapse/admin/v1/username_available?username=alice", { token: f.admin.token });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe("M_USER_IN_USE");
    const invalid = await f.t.request("GET", "/_synapse/admin/v1/username_available?username=Bad%20Name", { token: f.admin.token });
    expect(invalid.body.errcode).toBe("M_INVALID_USERNAME");
    const missing = await f.t.request("GET", "/_synapse/admin/v1/username_available", { token: f.admin.token });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain("username");
  });

  test("shadow-ban and un-shadow-ban", async () => {
    const path = `/_synapse/admin/v1/users/${enc(f.user.userId)}/shadow_ban`;
    expect((await f.t.request("POST", path, { token: f.admin.token })).body).toEqual({});
    expect((await f.t.request("GET", `/_synapse/admin/v2/users/${enc(f.user.userId)}`, { token: f.admin.token })).body.shadow_banned).toBe(true);
    expect((await f.t.request("DELETE", path, { token: f.admin.token })).body).toEqual({});
    expect((await f.t.request("GET", `/_synapse/admin/v2/users/${enc(f.user.userId)}`, { token: f.admin.token })).body.shadow_banned).toBe(false);
    const remote = await f.t.request("POST", `/_synapse/admin/v1/users/${enc("@x:elsewhere.org")}/shadow_ban`, { token: f.admin.token });
    expect(remote.status).toBe(400);
  });
});
