import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createHomeserver } from "../../src/homeserver.ts";
import { RELAXED_LIMITS, login, register, startAccountsHomeserver } from "./helpers.ts";

const REGISTER = "/_matrix/client/v3/register";

describe("registration with m.login.dummy", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver();
  });
  afterAll(() => t.stop());

  test("the first request gets the UIA challenge: flows, params, session, nothing completed", async () => {
    const r = await t.request("POST", REGISTER, { body: { username: "challenge", password: "pw" } });
    expect(r.status).toBe(401);
    expect(r.body.flows).toEqual([{ stages: ["m.login.dummy"] }]);
    expect(r.body.params).toEqual({});
    expect(typeof r.body.session).toBe("string");
    expect(r.body.errcode).toBeUndefined();
  });

  test("completing the dummy stage registers the user and logs them in", async () => {
    const a = await register(t, "alice");
    expect(a.userId).toBe("@alice:test.local");
    expect(a.accessToken).toMatch(/^syt_YWxpY2U_[A-Za-z0-9]{20}_[A-Za-z0-9]{6}$/);
    const who = await t.request("GET", "/_matrix/client/v3/account/whoami", { token: a.accessToken });
    expect(who.body).toEqual({ user_id: "@alice:test.local", is_guest: false, device_id: a.deviceId });
    // The default display name is the localpart.
    expect((await t.request("GET", "/_matrix/client/v3/profile/@alice:test.local")).body).toEqual({ displayname: "alice" });
  });

  test("a client may send only auth with the session: the remembered parameters are used", async () => {
    const first = await t.request("POST", REGISTER, { body: { username: "remembered", password: "pw1", initial_device_display_name: "Phone" } });
    const done = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.dummy", session: first.body.session } } });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toBe("@remembered:test.local");
    const devices = await t.request("GET", "/_matrix/client/v3/devices", { token: done.body.access_token });
    expect(devices.body.devices[0].display_name).toBe("Phone");
    expect((await login(t, "remembered", "pw1")).status).toBe(200);
  });

  test("the plain password is never stored in the UIA session", async () => {
    const secret = "a-very-unique-password-42";
    await t.request("POST", REGISTER, { body: { username: "plain", password: secret } });
    const rows = await t.hs.services.database.queryRaw<Record<string, unknown>>("SELECT * FROM ui_auth_sessions");
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(secret);
    const users = await t.hs.services.database.queryRaw<Record<string, unknown>>("SELECT password_hash FROM users");
    expect(JSON.stringify(users)).not.toContain(secret);
  });

  test("usernames are lowercased; invalid, taken, numeric and _ names are refused before UIA", async () => {
    const upper = await register(t, "MixedCase");
    expect(upper.userId).toBe("@mixedcase:test.local");
    const cases: Array<[unknown, string]> = [
      ["bad name", "M_INVALID_USERNAME"],
      ["alice", "M_USER_IN_USE"],
      ["ALICE", "M_USER_IN_USE"],
      ["12345", "M_INVALID_USERNAME"],
      ["_bridge", "M_INVALID_USERNAME"],
      ["x".repeat(300), "M_INVALID_USERNAME"],
      ["x".repeat(100_000), "M_INVALID_PARAM"],
      [42, "M_INVALID_PARAM"],
    ];
    for (const [username, errcode] of cases) {
      const r = await t.request("POST", REGISTER, { body: { username, password: "pw" } });
      expect(r.status).toBe(400);
      expect(r.body.errcode).toBe(errcode);
    }
  });

  test("no username gets a generated numeric one", async () => {
    const first = await t.request("POST", REGISTER, { body: { password: "pw" } });
    const done = await t.request("POST", REGISTER, { body: { password: "pw", auth: { type: "m.login.dummy", session: first.body.session } } });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toMatch(/^@\d+:test\.local$/);
  });

  test("inhibit_login, device_id and initial_device_display_name", async () => {
    const first = await t.request("POST", REGISTER, { body: { username: "nologin", password: "pw", inhibit_login: true } });
    const done = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.dummy", session: first.body.session } } });
    expect(done.body).toEqual({ user_id: "@nologin:test.local", home_server: "test.local" });

    const withDevice = await register(t, "withdevice", "pw", { device_id: "MYDEVICE", initial_device_display_name: "Laptop" });
    expect(withDevice.deviceId).toBe("MYDEVICE");
    const dev = await t.request("GET", "/_matrix/client/v3/devices/MYDEVICE", { token: withDevice.accessToken });
    expect(dev.body.display_name).toBe("Laptop");
  });

  test("a session cannot be replayed on another endpoint, and unknown sessions are refused", async () => {
    const first = await t.request("POST", REGISTER, { body: { username: "replay", password: "pw" } });
    const other = await t.request("POST", "/_matrix/client/r0/register", {
      body: { auth: { type: "m.login.dummy", session: first.body.session } },
    });
    expect(other.status).toBe(403);
    const unknown = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.dummy", session: "nope" } } });
    expect(unknown.status).toBe(400);
  });

  test("an unoffered stage type is refused, a missing password after UIA is M_MISSING_PARAM", async () => {
    const first = await t.request("POST", REGISTER, { body: { username: "stages" } });
    const pw = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.password", session: first.body.session } } });
    expect(pw.status).toBe(400);
    const done = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.dummy", session: first.body.session } } });
    expect(done.status).toBe(400);
    expect(done.body.errcode).toBe("M_MISSING_PARAM");
  });

  test("an access token on /register is refused; kind other than user/guest is M_UNRECOGNIZED", async () => {
    const a = await register(t, "tokenholder");
    const r = await t.request("POST", REGISTER, { body: { username: "x2", password: "pw" }, token: a.accessToken });
    expect(r.status).toBe(400);
    const kind = await t.request("POST", `${REGISTER}?kind=robot`, { body: {} });
    expect(kind.status).toBe(400);
    expect(kind.body.errcode).toBe("M_UNRECOGNIZED");
  });

  test("GET /register/available", async () => {
    expect((await t.request("GET", `${REGISTER}/available?username=freename`)).body).toEqual({ available: true });
    const taken = await t.request("GET", `${REGISTER}/available?username=alice`);
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe("M_USER_IN_USE");
    const invalid = await t.request("GET", `${REGISTER}/available?username=Not%20Valid`);
    expect(invalid.body.errcode).toBe("M_INVALID_USERNAME");
    expect((await t.request("GET", `${REGISTER}/available`)).body.errcode).toBe("M_MISSING_PARAM");
  });

  test("guests are refused unless allow_guest_access", async () => {
    const r = await t.request("POST", `${REGISTER}?kind=guest`, { body: {} });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
  });
});

describe("registration policy", () => {
  test("registration disabled: 403 M_FORBIDDEN", async () => {
    const t = await startTestHomeserver();
    try {
      const r = await t.request("POST", REGISTER, { body: { username: "nobody", password: "pw" } });
      expect(r.status).toBe(403);
      expect(r.body.errcode).toBe("M_FORBIDDEN");
      expect((await t.request("GET", `${REGISTER}/available?username=x`)).status).toBe(403);
    } finally {
      await t.stop();
    }
  });

  test("enable_registration without a verification method stays disabled", async () => {
    const t = await startTestHomeserver({ config: { enable_registration: true } });
    try {
      const r = await t.request("POST", REGISTER, { body: { username: "nobody", password: "pw" } });
      expect(r.status).toBe(403);
    } finally {
      await t.stop();
    }
  });

  test("guest registration when allowed", async () => {
    const t = await startAccountsHomeserver({ config: { allow_guest_access: true } });
    try {
      const r = await t.request("POST", `${REGISTER}?kind=guest`, { body: { username: "ignored", initial_device_display_name: "Guest phone" } });
      expect(r.status).toBe(200);
      expect(r.body.user_id).toMatch(/^@\d+:test\.local$/);
      const who = await t.request("GET", "/_matrix/client/v3/account/whoami", { token: r.body.access_token });
      expect(who.body.is_guest).toBe(true);
      const data = await t.request("PUT", `/_matrix/client/v3/user/${r.body.user_id}/account_data/x.y`, { token: r.body.access_token, body: {} });
      expect(data.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
    } finally {
      await t.stop();
    }
  });
});

describe("registration tokens", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startTestHomeserver({ config: { enable_registration: true, registration_requires_token: true, ...RELAXED_LIMITS } });
    await t.hs.services.stores.registrationTokens.create({ token: "once", usesAllowed: 1, pending: 0, completed: 0, expiryTime: null });
    await t.hs.services.stores.registrationTokens.create({
      token: "expired",
      usesAllowed: null,
      pending: 0,
      completed: 0,
      expiryTime: t.hs.clock.now() - 1000,
    });
  });
  afterAll(() => t.stop());

  test("the validity endpoint", async () => {
    const path = "/_matrix/client/v1/register/m.login.registration_token/validity";
    expect((await t.request("GET", `${path}?token=once`)).body).toEqual({ valid: true });
    expect((await t.request("GET", `${path}?token=expired`)).body).toEqual({ valid: false });
    expect((await t.request("GET", `${path}?token=unknown`)).body).toEqual({ valid: false });
    expect((await t.request("GET", path)).body.errcode).toBe("M_MISSING_PARAM");
  });

  test("the token stage comes first; a wrong token is a 401 the client can retry; a use is counted", async () => {
    const first = await t.request("POST", REGISTER, { body: { username: "tokened", password: "pw" } });
    expect(first.body.flows).toEqual([{ stages: ["m.login.registration_token", "m.login.dummy"] }]);
    const session = first.body.session;
    const dummyFirst = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.dummy", session } } });
    expect(dummyFirst.status).toBe(401);
    expect(dummyFirst.body.completed).toEqual(["m.login.dummy"]);
    const wrong = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.registration_token", token: "expired", session } } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_UNAUTHORIZED");
    expect(wrong.body.session).toBe(session);
    const right = await t.request("POST", REGISTER, { body: { auth: { type: "m.login.registration_token", token: "once", session } } });
    expect(right.status).toBe(200);
    expect(right.body.user_id).toBe("@tokened:test.local");
    const row = await t.hs.services.stores.registrationTokens.get("once");
    expect(row).toMatchObject({ pending: 0, completed: 1 });
    const path = "/_matrix/client/v1/register/m.login.registration_token/validity";
    expect((await t.request("GET", `${path}?token=once`)).body).toEqual({ valid: false });
  });
});

describe("UIA sessions survive a restart", () => {
  test("a session started before a restart completes after it", async () => {
    const t = await startAccountsHomeserver();
    let second: ReturnType<typeof createHomeserver> | undefined;
    try {
      const first = await t.request("POST", REGISTER, { body: { username: "restart", password: "pw" } });
      await t.hs.stop();
      second = createHomeserver(t.hs.config, { listen: false });
      await second.start();
      const res = await second.fetch(
        new Request(`http://localhost${REGISTER}`, {
          method: "POST",
          body: JSON.stringify({ auth: { type: "m.login.dummy", session: first.body.session } }),
        }),
      );
      expect(res.status).toBe(200);
      expect(((await res.json()) as { user_id: string }).user_id).toBe("@restart:test.local");
    } finally {
      await second?.stop();
      await t.stop();
    }
  });
});
