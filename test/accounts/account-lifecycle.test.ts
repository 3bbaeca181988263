import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { login, register, startAccountsHomeserver, type Account } from "./helpers.ts";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

const passwordAuth = (a: Account, password: string, session?: string) => ({
  type: "m.login.password",
  identifier: { type: "m.id.user", user: a.userId },
  password,
  ...(session ? { session } : {}),
});

async function adminToken(t: TestHomeserver): Promise<string> {
  const { accounts } = t.hs.services;
  const userId = await accounts.registration.register({ localpart: `admin${Math.random().toString(36).slice(2, 8)}`, passwordHash: null, admin: true });
  return (await accounts.sessions.create(userId)).accessToken;
}

describe("POST /account/deactivate with erase", () => {
  let t: TestHomeserver;
  beforeAll(async () => (t = await startAccountsHomeserver()));
  afterAll(() => t.stop());

  test("sets the erased flag the admin API reports; without erase it stays unset", async () => {
    const admin = await adminToken(t);
    for (const [name, erase] of [["eraseme", true], ["keepme", false]] as const) {
      const a = await register(t, name, "pw");
      const r = await t.request("POST", `${V3}/account/deactivate`, { token: a.accessToken, body: { erase, auth: passwordAuth(a, "pw") } });
      expect(r.status).toBe(200);
      const view = await t.request("GET", `/_synapse/admin/v2/users/${enc(a.userId)}`, { token: admin });
      expect(view.body).toMatchObject({ deactivated: true, erased: erase });
    }
  });
});

describe("ui_auth.session_timeout", () => {
  let t: TestHomeserver;
  let clock: FakeClock;
  beforeAll(async () => {
    clock = new FakeClock("test.local");
    t = await startAccountsHomeserver({ clock, config: { ui_auth: { session_timeout: "1m" } } });
  });
  afterAll(() => t.stop());

  const newDevice = async (user: string) => (await login(t, user, "pw")).body.device_id as string;
  const deleteDevice = (a: Account, deviceId: string, body: Record<string, unknown> = {}) =>
    t.request("DELETE", `${V3}/devices/${deviceId}`, { token: a.accessToken, body });

  test("device deletion skips UIA for a token created or re-authenticated within the timeout", async () => {
    const a = await register(t, "quick", "pw");
    // A fresh token counts as just validated.
    expect((await deleteDevice(a, await newDevice("quick"))).status).toBe(200);
    await clock.advance(61_000);
    const victim = await newDevice("quick");
    const challenge = await deleteDevice(a, victim);
    expect(challenge.status).toBe(401);
    expect((await deleteDevice(a, victim, { auth: passwordAuth(a, "pw", challenge.body.session) })).status).toBe(200);
    // Re-authenticated just now: the next deletion (even of several devices) does not ask.
    const many = [await newDevice("quick"), await newDevice("quick")];
    expect((await t.request("POST", `${V3}/delete_devices`, { token: a.accessToken, body: { devices: many } })).status).toBe(200);
    const left = (await t.request("GET", `${V3}/devices`, { token: a.accessToken })).body.devices.map((d: { device_id: string }) => d.device_id);
    expect(left).toEqual([a.deviceId]);
  });

  test("password changes and deactivation always ask (Synapse never skips them)", async () => {
    const a = await register(t, "careful", "pw");
    const change = await t.request("POST", `${V3}/account/password`, { token: a.accessToken, body: { new_password: "pw2" } });
    expect(change.status).toBe(401);
    const deactivate = await t.request("POST", `${V3}/account/deactivate`, { token: a.accessToken, body: {} });
    expect(deactivate.status).toBe(401);
  });
});

describe("guest upgrade (guest_access_token at /register)", () => {
  let t: TestHomeserver;
  beforeAll(async () => (t = await startAccountsHomeserver({ config: { allow_guest_access: true } })));
  afterAll(() => t.stop());

  const guest = async () => {
    const r = await t.request("POST", `${V3}/register?kind=guest`, { body: {} });
    expect(r.status).toBe(200);
    return { userId: r.body.user_id as string, accessToken: r.body.access_token as string, localpart: (r.body.user_id as string).slice(1).split(":")[0]! };
  };

  test("the guest keeps its user id, gains a password and is no longer a guest; its token stays valid", async () => {
    const g = await guest();
    await t.request("PUT", `${V3}/user/${enc(g.userId)}/account_data/m.direct`, { token: g.accessToken, body: {} });
    const body = { username: g.localpart, password: "upgraded-pw", guest_access_token: g.accessToken };
    const first = await t.request("POST", `${V3}/register`, { body });
    expect(first.status).toBe(401);
    // The session never stores the guest's token.
    const row = await t.hs.services.stores.uiAuthSessions.get(first.body.session);
    expect(JSON.stringify(row)).not.toContain(g.accessToken);
    const done = await t.request("POST", `${V3}/register`, { body: { auth: { type: "m.login.dummy", session: first.body.session } } });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toBe(g.userId);
    expect((await t.request("GET", `${V3}/account/whoami`, { token: done.body.access_token })).body.is_guest).toBe(false);
    expect((await t.request("GET", `${V3}/account/whoami`, { token: g.accessToken })).body).toMatchObject({ user_id: g.userId, is_guest: false });
    expect((await login(t, g.userId, "upgraded-pw")).status).toBe(200);
  });

  test("without a username the guest's own id is used", async () => {
    const g = await guest();
    const first = await t.request("POST", `${V3}/register`, { body: { password: "pw", guest_access_token: g.accessToken } });
    const done = await t.request("POST", `${V3}/register`, {
      body: { password: "pw", guest_access_token: g.accessToken, auth: { type: "m.login.dummy", session: first.body.session } },
    });
    expect(done.body.user_id).toBe(g.userId);
  });

  test("another name, a full account's token or an unknown token is refused", async () => {
    const g = await guest();
    const other = await t.request("POST", `${V3}/register`, { body: { username: "newname", password: "pw", guest_access_token: g.accessToken } });
    expect(other.status).toBe(403);
    expect(other.body.errcode).toBe("M_FORBIDDEN");
    const full = await register(t, "fullaccount", "pw");
    const notGuest = await t.request("POST", `${V3}/register`, { body: { username: "fullaccount", password: "pw", guest_access_token: full.accessToken } });
    expect(notGuest.status).toBe(403);
    const unknown = await t.request("POST", `${V3}/register`, { body: { username: g.localpart, password: "pw", guest_access_token: "syt_eA_aaaaaaaaaaaaaaaaaaaa_000000" } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.errcode).toBe("M_UNKNOWN_TOKEN");
    // A numeric name is still reserved without the guest's token.
    const numeric = await t.request("POST", `${V3}/register`, { body: { username: g.localpart, password: "pw" } });
    expect(numeric.status).toBe(400);
    expect(numeric.body.errcode).toBe("M_USER_IN_USE");
  });
});
