import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { hashToken } from "../../src/auth/tokens.ts";
import { login, register, startAccountsHomeserver } from "./helpers.ts";
import { capturedLogs } from "../support/logs.ts";

const LOGIN = "/_matrix/client/v3/login";

describe("password login", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver();
    await register(t, "bob", "hunter2");
  });
  afterAll(() => t.stop());

  test("GET /login offers m.login.password, under v3 and r0", async () => {
    for (const prefix of ["v3", "r0"]) {
      const r = await t.request("GET", `/_matrix/client/${prefix}/login`);
      expect(r.body.flows).toContainEqual({ type: "m.login.password" });
    }
  });

  test("m.id.user with a localpart, a full id, capitals, and the legacy user field", async () => {
    for (const body of [
      { identifier: { type: "m.id.user", user: "bob" } },
      { identifier: { type: "m.id.user", user: "@bob:test.local" } },
      { identifier: { type: "m.id.user", user: "BOB" } },
      { user: "bob" },
      { user: "@bob:test.local" },
    ]) {
      const r = await t.request("POST", LOGIN, { body: { type: "m.login.password", password: "hunter2", ...body } });
      expect(r.status).toBe(200);
      expect(r.body.user_id).toBe("@bob:test.local");
      expect(r.body.home_server).toBe("test.local");
      expect(typeof r.body.device_id).toBe("string");
      expect(r.body.refresh_token).toBeUndefined();
      expect(r.body.expires_in_ms).toBeUndefined();
    }
  });

  test("a chosen device_id is kept and reused", async () => {
    const a = await login(t, "bob", "hunter2", { device_id: "FIXED", initial_device_display_name: "Desk" });
    expect(a.body.device_id).toBe("FIXED");
    const b = await login(t, "bob", "hunter2", { device_id: "FIXED", initial_device_display_name: "Ignored" });
    expect(b.body.device_id).toBe("FIXED");
    const dev = await t.request("GET", "/_matrix/client/v3/devices/FIXED", { token: b.body.access_token });
    expect(dev.body.display_name).toBe("Desk");
  });

  test("wrong password and unknown user are the same 403", async () => {
    const wrong = await login(t, "bob", "nope");
    const unknown = await login(t, "nobody", "nope");
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ errcode: "M_FORBIDDEN", error: "Invalid username or password" });
    }
  });

  test("bad submissions are 400s", async () => {
    expect((await t.request("POST", LOGIN, { body: { type: "m.login.token", token: "x" } })).status).toBe(400);
    expect((await t.request("POST", LOGIN, { body: { identifier: { type: "m.id.user", user: "bob" }, password: "x" } })).body.errcode).toBe(
      "M_MISSING_PARAM",
    );
    expect((await t.request("POST", LOGIN, { body: { type: "m.login.password", user: "bob" } })).body.errcode).toBe("M_INVALID_PARAM");
    expect((await t.request("POST", LOGIN, { body: { type: "m.login.password", password: "x" } })).status).toBe(400);
    expect((await login(t, "bob", "hunter2", { refresh_token: "yes" })).body.errcode).toBe("M_INVALID_PARAM");
    expect((await login(t, "bob", "hunter2", { device_id: "D".repeat(600) })).status).toBe(400);
    expect((await t.request("POST", LOGIN, { body: { type: "m.login.password", password: "x", identifier: { type: "m.id.whatever" } } })).status).toBe(400);
  });

  test("third-party identifiers never log in", async () => {
    const r = await t.request("POST", LOGIN, {
      body: { type: "m.login.password", password: "x", identifier: { type: "m.id.thirdparty", medium: "email", address: "a@b.c" } },
    });
    expect(r.status).toBe(403);
  });

  test("tokens and passwords are stored only as hashes", async () => {
    const r = await login(t, "bob", "hunter2");
    const rows = await t.hs.services.database.queryRaw<Record<string, unknown>>("SELECT * FROM access_tokens");
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(r.body.access_token);
    expect(dump).toContain(hashToken(r.body.access_token));
    const user = await t.hs.services.stores.users.get("@bob:test.local");
    expect(user!.passwordHash).toStartWith("$argon2id$");
  });

  test("passwords and tokens never reach the logs, not even in the raw records", async () => {
    capturedLogs.length = 0;
    const password = "log-canary-password";
    const a = await register(t, "canary", password);
    const r = await login(t, "canary", password, { refresh_token: true });
    await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token: r.body.refresh_token } });
    await t.request("GET", `/_matrix/client/v3/account/whoami?access_token=${r.body.access_token}`);
    await login(t, "canary", "wrong-canary-password");
    expect(capturedLogs.length).toBeGreaterThan(0);
    const raw = capturedLogs.map((rec) => `${rec.message.join("")} ${JSON.stringify(rec.properties)}`).join("\n");
    for (const secret of [password, "wrong-canary-password", a.accessToken, r.body.access_token, r.body.refresh_token]) {
      expect(raw).not.toContain(secret);
    }
  });

  test("bcrypt hashes imported from Synapse still verify", async () => {
    await register(t, "imported", "old");
    const bcrypt = await Bun.password.hash("synapse-password", { algorithm: "bcrypt", cost: 4 });
    expect(bcrypt).toStartWith("$2");
    await t.hs.services.stores.users.update("@imported:test.local", { passwordHash: bcrypt });
    expect((await login(t, "imported", "synapse-password")).status).toBe(200);
    expect((await login(t, "imported", "old")).status).toBe(403);
  });

  test("the access_token query parameter still works; unknown tokens are M_UNKNOWN_TOKEN", async () => {
    const r = await login(t, "bob", "hunter2");
    const q = await t.request("GET", `/_matrix/client/v3/account/whoami?access_token=${encodeURIComponent(r.body.access_token)}`);
    expect(q.body.user_id).toBe("@bob:test.local");
    const bad = await t.request("GET", "/_matrix/client/v3/account/whoami", { token: "syt_Ym9i_notarealtokenatall_000000" });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ errcode: "M_UNKNOWN_TOKEN", error: "Unrecognised access token", soft_logout: false });
    const none = await t.request("GET", "/_matrix/client/v3/account/whoami");
    expect(none.body.errcode).toBe("M_MISSING_TOKEN");
  });

  test("logout ends the device and its tokens; logout/all ends every session", async () => {
    const a = await login(t, "bob", "hunter2");
    const b = await login(t, "bob", "hunter2");
    const out = await t.request("POST", "/_matrix/client/v3/logout", { token: a.body.access_token });
    expect(out.status).toBe(200);
    expect((await t.request("GET", "/_matrix/client/v3/account/whoami", { token: a.body.access_token })).status).toBe(401);
    expect(await t.hs.services.stores.devices.get("@bob:test.local", a.body.device_id)).toBeUndefined();
    expect((await t.request("GET", "/_matrix/client/v3/account/whoami", { token: b.body.access_token })).status).toBe(200);
    const all = await t.request("POST", "/_matrix/client/v3/logout/all", { token: b.body.access_token });
    expect(all.status).toBe(200);
    expect((await t.request("GET", "/_matrix/client/v3/account/whoami", { token: b.body.access_token })).status).toBe(401);
    expect(await t.hs.services.stores.devices.listForUser("@bob:test.local")).toEqual([]);
  });
});

describe("refresh tokens", () => {
  let t: TestHomeserver;
  const clock = new FakeClock("test.local");
  beforeAll(async () => {
    t = await startAccountsHomeserver({ clock });
    await register(t, "carol", "pw");
  });
  afterAll(() => t.stop());

  test("a refreshable login expires, then refreshes", async () => {
    const r = await login(t, "carol", "pw", { refresh_token: true });
    expect(r.status).toBe(200);
    expect(r.body.expires_in_ms).toBe(5 * 60 * 1000);
    expect(r.body.refresh_token).toMatch(/^syr_Y2Fyb2w_/);
    const whoami = (token: string) => t.request("GET", "/_matrix/client/v3/account/whoami", { token });
    expect((await whoami(r.body.access_token)).status).toBe(200);

    await clock.advance(5 * 60 * 1000);
    const expired = await whoami(r.body.access_token);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: true });

    const refreshed = await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token: r.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_in_ms).toBe(5 * 60 * 1000);
    expect(refreshed.body.refresh_token).not.toBe(r.body.refresh_token);
    expect((await whoami(refreshed.body.access_token)).body.device_id).toBe(r.body.device_id);

    // Once the new access token has been used, the old refresh token is spent.
    const again = await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token: r.body.refresh_token } });
    expect(again.status).toBe(403);
    expect(again.body.errcode).toBe("M_FORBIDDEN");
    // The new one keeps working.
    const next = await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token: refreshed.body.refresh_token } });
    expect(next.status).toBe(200);
  });

  test("a lost refresh response can be retried with the old refresh token until the new one is used", async () => {
    const r = await login(t, "carol", "pw", { refresh_token: true });
    const lost = await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token: r.body.refresh_token } });
    const retry = await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token: r.body.refresh_token } });
    expect(retry.status).toBe(200);
    // The first successor was replaced by the retry's.
    expect((await t.request("GET", "/_matrix/client/v3/account/whoami", { token: lost.body.access_token })).status).toBe(401);
    expect((await t.request("GET", "/_matrix/client/v3/account/whoami", { token: retry.body.access_token })).status).toBe(200);
  });

  test("unknown or malformed refresh tokens are M_UNKNOWN_TOKEN; an expired access token can still log out", async () => {
    for (const refresh_token of ["syr_Y2Fyb2w_aaaaaaaaaaaaaaaaaaaa_000000", "garbage"]) {
      const r = await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token } });
      expect(r.status).toBe(401);
      expect(r.body.errcode).toBe("M_UNKNOWN_TOKEN");
    }
    const r = await login(t, "carol", "pw", { refresh_token: true });
    await clock.advance(6 * 60 * 1000);
    expect((await t.request("POST", "/_matrix/client/v3/logout", { token: r.body.access_token })).status).toBe(200);
    const refresh = await t.request("POST", "/_matrix/client/v3/refresh", { body: { refresh_token: r.body.refresh_token } });
    expect(refresh.status).toBe(401);
  });
});
