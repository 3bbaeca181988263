import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectAdminOnly, makeUser, startAdminFixture, type AdminFixture } from "./helpers.ts";

let f: AdminFixture;
const enc = encodeURIComponent;

beforeAll(async () => {
  f = await startAdminFixture();
});
afterAll(() => f.t.stop());

describe("user devices", () => {
  test("non-admins are refused", async () => {
    const u = enc(f.user.userId);
    await expectAdminOnly(f, "GET", `/_synapse/admin/v2/users/${u}/devices`);
    await expectAdminOnly(f, "POST", `/_synapse/admin/v2/users/${u}/devices`, { device_id: "X" });
    await expectAdminOnly(f, "GET", `/_synapse/admin/v2/users/${u}/devices/${f.user.deviceId}`);
    await expectAdminOnly(f, "PUT", `/_synapse/admin/v2/users/${u}/devices/${f.user.deviceId}`, { display_name: "x" });
    await expectAdminOnly(f, "DELETE", `/_synapse/admin/v2/users/${u}/devices/${f.user.deviceId}`);
    await expectAdminOnly(f, "POST", `/_synapse/admin/v2/users/${u}/delete_devices`, { devices: [] });
  });

  test("list, create, show, rename and delete devices", async () => {
    const u = await makeUser(f.t, "devuser");
    const base = `/_synapse/admin/v2/users/${enc(u.userId)}`;
    const list = await f.t.request("GET", `${base}/devices`, { token: f.admin.token });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(list.body.devices[0]).toMatchObject({
      device_id: u.deviceId,
      user_id: u.userId,
      last_seen_ip: "10.0.0.1",
      last_seen_user_agent: "test-agent/1.0",
      dehydrated: false,
    });

    expect((await f.t.request("POST", `${base}/devices`, { token: f.admin.token, body: { device_id: "ADMINMADE" } })).status).toBe(201);
    expect((await f.t.request("PUT", `${base}/devices/ADMINMADE`, { token: f.admin.token, body: { display_name: "Made by admin" } })).status).toBe(200);
    const shown = await f.t.request("GET", `${base}/devices/ADMINMADE`, { token: f.admin.token });
    expect(shown.body).toMatchObject({ device_id: "ADMINMADE", display_name: "Made by admin", user_id: u.userId });
    expect((await f.t.request("GET", `${base}/devices/NOPE`, { token: f.admin.token })).status).toBe(404);

    expect((await f.t.request("DELETE", `${base}/devices/ADMINMADE`, { token: f.admin.token })).status).toBe(200);
    expect((await f.t.request("GET", `${base}/devices/ADMINMADE`, { token: f.admin.token })).status).toBe(404);

    // Deleting the user's own device also kills its token.
    expect((await f.t.request("POST", `${base}/delete_devices`, { token: f.admin.token, body: { devices: [u.deviceId] } })).status).toBe(200);
    expect((await f.t.request("GET", "/_matrix/client/v3/account/whoami", { token: u.token })).status).toBe(401);
    expect((await f.t.request("GET", `${base}/devices`, { token: f.admin.token })).body.total).toBe(0);
  });

  test("bad input: 400 naming the field, 404 unknown user, 400 remote user", async () => {
    const base = `/_synapse/admin/v2/users/${enc(f.user.userId)}`;
    const noId = await f.t.request("POST", `${base}/devices`, { token: f.admin.token, body: {} });
    expect(noId.status).toBe(400);
    expect(noId.body.error).toContain("device_id");
    const wrongType = await f.t.request("POST", `${base}/devices`, { token: f.admin.token, body: { device_id: 5 } });
    expect(wrongType.body.error).toContain("device_id");
    const noList = await f.t.request("POST", `${base}/delete_devices`, { token: f.admin.token, body: {} });
    expect(noList.status).toBe(400);
    expect(noList.body.error).toContain("devices");
    const badName = await f.t.request("PUT", `${base}/devices/${f.user.deviceId}`, { token: f.admin.token, body: { display_name: 7 } });
    expect(badName.body.error).toContain("display_name");
    expect((await f.t.request("GET", `/_synapse/admin/v2/users/${enc("@ghost:test.local")}/devices`, { token: f.admin.token })).status).toBe(404);
    expect((await f.t.request("GET", `/_synapse/admin/v2/users/${enc("@x:elsewhere.org")}/devices`, { token: f.admin.token })).status).toBe(400);
  });
});

describe("override_ratelimit", () => {
  const path = () => `/_synapse/admin/v1/users/${enc(f.user.userId)}/override_ratelimit`;

  test("non-admins are refused", async () => {
    await expectAdminOnly(f, "GET", path());
    await expectAdminOnly(f, "POST", path(), {});
    await expectAdminOnly(f, "DELETE", path());
  });

  test("GET/POST/DELETE round trip, and the limiters see the change at once", async () => {
    const { ratelimitOverrides, ratelimiters } = f.t.hs.services;
    expect((await f.t.request("GET", path(), { token: f.admin.token })).body).toEqual({});
    expect(ratelimitOverrides.get(f.user.userId)).toBeUndefined();

    const set = await f.t.request("POST", path(), { token: f.admin.token, body: { messages_per_second: 10, burst_count: 20 } });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ messages_per_second: 10, burst_count: 20 });
    expect((await f.t.request("GET", path(), { token: f.admin.token })).body).toEqual({ messages_per_second: 10, burst_count: 20 });
    expect(ratelimitOverrides.get(f.user.userId)).toEqual({ messagesPerSecond: 10, burstCount: 20 });

    // 0/0 exempts the user from every limiter checked with them as requester, room creation included.
    const exempt = await f.t.request("POST", path(), { token: f.admin.token });
    expect(exempt.body).toEqual({ messages_per_second: 0, burst_count: 0 });
    for (let i = 0; i < 50; i++) ratelimiters.roomCreation.ratelimit({ requester: f.user.userId });

    expect((await f.t.request("DELETE", path(), { token: f.admin.token })).body).toEqual({});
    expect((await f.t.request("GET", path(), { token: f.admin.token })).body).toEqual({});
    expect(ratelimitOverrides.get(f.user.userId)).toBeUndefined();
    expect(() => {
      for (let i = 0; i < 50; i++) ratelimiters.roomCreation.ratelimit({ requester: f.user.userId });
    }).toThrow("Too Many Requests");
  });

  test("nulls stored in the table read back as 0", async () => {
    const t = f.t.hs.services.database.tables.ratelimitOverrides;
    const u = await makeUser(f.t, "nullrate");
    await f.t.hs.services.database.transaction("test", (tx) => tx.insert(t).values({ userId: u.userId, messagesPerSecond: null, burstCount: null }));
    const res = await f.t.request("GET", `/_synapse/admin/v1/users/${enc(u.userId)}/override_ratelimit`, { token: f.admin.token });
    expect(res.body).toEqual({ messages_per_second: 0, burst_count: 0 });
  });

  test("invalid values are 400 M_INVALID_PARAM naming the field; unknown and remote users refused", async () => {
    for (const [body, field] of [
      [{ messages_per_second: -1 }, "messages_per_second"],
      [{ messages_per_second: 1.5 }, "messages_per_second"],
      [{ burst_count: true }, "burst_count"],
      [{ burst_count: "3" }, "burst_count"],
    ] as const) {
      const res = await f.t.request("POST", path(), { token: f.admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
      expect(res.body.error).toContain("parameter must be a positive int");
      expect(res.body.error).toContain(field);
    }
    const unknown = await f.t.request("GET", `/_synapse/admin/v1/users/${enc("@ghost:test.local")}/override_ratelimit`, { token: f.admin.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("User not found");
    const remoteGet = await f.t.request("GET", `/_synapse/admin/v1/users/${enc("@x:elsewhere.org")}/override_ratelimit`, { token: f.admin.token });
    expect(remoteGet.body.error).toBe("Can only look up local users");
    const remotePost = await f.t.request("POST", `/_synapse/admin/v1/users/${enc("@x:elsewhere.org")}/override_ratelimit`, { token: f.admin.token, body: {} });
    expect(remotePost.body.error).toBe("Only local users can be ratelimited");
  });
});

describe("registration tokens", () => {
  test("non-admins are refused", async () => {
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/registration_tokens");
    await expectAdminOnly(f, "POST", "/_synapse/admin/v1/registration_tokens/new", {});
    await expectAdminOnly(f, "GET", "/_synapse/admin/v1/registration_tokens/abcd");
    await expectAdminOnly(f, "PUT", "/_synapse/admin/v1/registration_tokens/abcd", {});
    await expectAdminOnly(f, "DELETE", "/_synapse/admin/v1/registration_tokens/abcd");
  });

  test("create (random and given), get, list with valid filter, update, delete", async () => {
    const random = await f.t.request("POST", "/_synapse/admin/v1/registration_tokens/new", { token: f.admin.token, body: {} });
    expect(random.status).toBe(200);
    expect(random.body.token).toMatch(/^[A-Za-z0-9._~-]{16}$/);
    expect(random.body).toMatchObject({ uses_allowed: null, pending: 0, completed: 0, expiry_time: null });
    const short = await f.t.request("POST", "/_synapse/admin/v1/registration_tokens/new", { token: f.admin.token, body: { length: 5 } });
    expect(short.body.token.length).toBe(5);

    const given = await f.t.request("POST", "/_synapse/admin/v1/registration_tokens/new", { token: f.admin.token, body: { token: "defg", uses_allowed: 1 } });
    expect(given.body).toEqual({ token: "defg", uses_allowed: 1, pending: 0, completed: 0, expiry_time: null });
    const dup = await f.t.request("POST", "/_synapse/admin/v1/registration_tokens/new", { token: f.admin.token, body: { token: "defg" } });
    expect(dup.status).toBe(400);

    expect((await f.t.request("GET", "/_synapse/admin/v1/registration_tokens/defg", { token: f.admin.token })).body.uses_allowed).toBe(1);
    const exhausted = await f.t.request("PUT", "/_synapse/admin/v1/registration_tokens/defg", { token: f.admin.token, body: { uses_allowed: 0 } });
    expect(exhausted.body.uses_allowed).toBe(0);
    const invalidOnes = await f.t.request("GET", "/_synapse/admin/v1/registration_tokens?valid=false", { token: f.admin.token });
    expect(invalidOnes.body.registration_tokens.map((t: any) => t.token)).toEqual(["defg"]);
    const validOnes = await f.t.request("GET", "/_synapse/admin/v1/registration_tokens?valid=true", { token: f.admin.token });
    expect(validOnes.body.registration_tokens.map((t: any) => t.token)).not.toContain("defg");
    expect((await f.t.request("GET", "/_synapse/admin/v1/registration_tokens", { token: f.admin.token })).body.registration_tokens.length).toBe(3);

    const future = f.t.hs.clock.now() + 86_400_000;
    const extended = await f.t.request("PUT", "/_synapse/admin/v1/registration_tokens/defg", { token: f.admin.token, body: { expiry_time: future, uses_allowed: null } });
    expect(extended.body).toMatchObject({ expiry_time: future, uses_allowed: null });

    expect((await f.t.request("DELETE", "/_synapse/admin/v1/registration_tokens/defg", { token: f.admin.token })).body).toEqual({});
    const gone = await f.t.request("GET", "/_synapse/admin/v1/registration_tokens/defg", { token: f.admin.token });
    expect(gone.status).toBe(404);
    expect(gone.body.errcode).toBe("M_NOT_FOUND");
    expect((await f.t.request("DELETE", "/_synapse/admin/v1/registration_tokens/defg", { token: f.admin.token })).status).toBe(404);
    expect((await f.t.request("PUT", "/_synapse/admin/v1/registration_tokens/defg", { token: f.admin.token, body: {} })).status).toBe(404);
  });

  test("bad input is 400 M_INVALID_PARAM naming the field", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ token: 5 }, "token"],
      [{ token: "" }, "token"],
      [{ token: "has space" }, "token"],
      [{ token: "x".repeat(65) }, "token"],
      [{ length: 0 }, "length"],
      [{ length: 65 }, "length"],
      [{ length: "8" }, "length"],
      [{ uses_allowed: -1 }, "uses_allowed"],
      [{ uses_allowed: 1.5 }, "uses_allowed"],
      [{ expiry_time: "tomorrow" }, "expiry_time"],
      [{ expiry_time: 1000 }, "expiry_time"],
    ];
    for (const [body, field] of cases) {
      const res = await f.t.request("POST", "/_synapse/admin/v1/registration_tokens/new", { token: f.admin.token, body });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
      expect(res.body.error).toContain(field);
    }
    await f.t.request("POST", "/_synapse/admin/v1/registration_tokens/new", { token: f.admin.token, body: { token: "upd" } });
    const put = await f.t.request("PUT", "/_synapse/admin/v1/registration_tokens/upd", { token: f.admin.token, body: { uses_allowed: "lots" } });
    expect(put.status).toBe(400);
    expect(put.body.error).toContain("uses_allowed");
    const badValid = await f.t.request("GET", "/_synapse/admin/v1/registration_tokens?valid=yes", { token: f.admin.token });
    expect(badValid.status).toBe(400);
    expect(badValid.body.error).toContain("valid");
  });
});
