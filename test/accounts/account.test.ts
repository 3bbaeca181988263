import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { login, register, startAccountsHomeserver } from "./helpers.ts";
import { CREATABLE_ROOM_VERSIONS, DEFAULT_ROOM_VERSION } from "../../src/matrix/room-versions.ts";

const V3 = "/_matrix/client/v3";

describe("account management", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver();
  });
  afterAll(() => t.stop());

  const whoami = (token: string) => t.request("GET", `${V3}/account/whoami`, { token });

  test("changing the password takes UIA with the old one and logs out the other devices", async () => {
    const a = await register(t, "dave", "old-pw");
    const other = await login(t, "dave", "old-pw");
    const challenge = await t.request("POST", `${V3}/account/password`, { token: a.accessToken, body: { new_password: "new-pw" } });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const session = challenge.body.session;

    const wrong = await t.request("POST", `${V3}/account/password`, {
      token: a.accessToken,
      body: { new_password: "new-pw", auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "dave" }, password: "bad", session } },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ errcode: "M_FORBIDDEN", session, completed: [] });

    const ok = await t.request("POST", `${V3}/account/password`, {
      token: a.accessToken,
      body: { new_password: "new-pw", auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "dave" }, password: "old-pw", session } },
    });
    expect(ok.status).toBe(200);
    expect((await whoami(a.accessToken)).status).toBe(200);
    expect((await whoami(other.body.access_token)).status).toBe(401);
    expect((await login(t, "dave", "old-pw")).status).toBe(403);
    expect((await login(t, "dave", "new-pw")).status).toBe(200);
    // The new password was not left in the session in plain text.
    const rows = await t.hs.services.database.queryRaw<Record<string, unknown>>("SELECT * FROM ui_auth_sessions");
    expect(JSON.stringify(rows)).not.toContain("new-pw");
  });

  test("logout_devices: false keeps the other sessions; another user's password does not count", async () => {
    const a = await register(t, "erin", "pw1");
    const eve = await register(t, "eve2", "evepw");
    const other = await login(t, "erin", "pw1");
    const first = await t.request("POST", `${V3}/account/password`, { token: a.accessToken, body: { new_password: "pw2", logout_devices: false } });
    const asEve = await t.request("POST", `${V3}/account/password`, {
      token: a.accessToken,
      body: {
        new_password: "pw2",
        logout_devices: false,
        auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "eve2" }, password: "evepw", session: first.body.session },
      },
    });
    expect(asEve.status).toBe(403);
    expect(eve.userId).toBe("@eve2:test.local");
    const second = await t.request("POST", `${V3}/account/password`, { token: a.accessToken, body: { new_password: "pw2", logout_devices: false } });
    const ok = await t.request("POST", `${V3}/account/password`, {
      token: a.accessToken,
      body: {
        new_password: "pw2",
        logout_devices: false,
        auth: { type: "m.login.password", user: "erin", password: "pw1", session: second.body.session },
      },
    });
    expect(ok.status).toBe(200);
    expect((await whoami(other.body.access_token)).status).toBe(200);
  });

  test("deactivation: UIA, every token dies, login says M_USER_DEACTIVATED, the id is never reusable", async () => {
    const a = await register(t, "frank", "pw");
    const other = await login(t, "frank", "pw");
    await t.request("PUT", `${V3}/user/@frank:test.local/account_data/org.example`, { token: a.accessToken, body: { x: 1 } });
    const deactivated: string[] = [];
    t.hs.services.accounts.management.onUserDeactivated.add((e) => void deactivated.push(e.userId));
    const challenge = await t.request("POST", `${V3}/account/deactivate`, { token: a.accessToken, body: { erase: true } });
    expect(challenge.status).toBe(401);
    const ok = await t.request("POST", `${V3}/account/deactivate`, {
      token: a.accessToken,
      body: { erase: true, auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "frank" }, password: "pw", session: challenge.body.session } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ id_server_unbind_result: "success" });
    expect(deactivated).toEqual(["@frank:test.local"]);
    for (const token of [a.accessToken, other.body.access_token]) expect((await whoami(token)).status).toBe(401);
    const again = await login(t, "frank", "pw");
    expect(again.status).toBe(403);
    expect(again.body.errcode).toBe("M_USER_DEACTIVATED");
    const reuse = await t.request("POST", `${V3}/register`, { body: { username: "frank", password: "pw" } });
    expect(reuse.body.errcode).toBe("M_USER_IN_USE");
    expect((await t.request("GET", `${V3}/profile/@frank:test.local`)).status).toBe(404);
    expect(await t.hs.services.stores.accountData.listForUser("@frank:test.local")).toEqual([]);
    expect(await t.hs.services.stores.devices.listForUser("@frank:test.local")).toEqual([]);
  });

  test("third-party identifiers: an empty list, adding is refused clearly", async () => {
    const a = await register(t, "grace", "pw");
    expect((await t.request("GET", `${V3}/account/3pid`, { token: a.accessToken })).body).toEqual({ threepids: [] });
    // enable_3pid_changes is off by default in Hearth: Synapse's answer for the endpoints it gates.
    for (const path of ["/account/3pid/add", "/account/3pid", "/account/3pid/email/requestToken", "/account/3pid/delete"]) {
      const r = await t.request("POST", V3 + path, { token: a.accessToken, body: { client_secret: "x", sid: "y" } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ errcode: "M_FORBIDDEN", error: "3PID changes are disabled on this server" });
    }
    const bind = await t.request("POST", `${V3}/account/3pid/bind`, { token: a.accessToken, body: { client_secret: "x", sid: "y" } });
    expect(bind.status).toBe(403);
    expect(bind.body.errcode).toBe("M_THREEPID_DENIED");
    for (const path of ["/account/3pid/msisdn/requestToken", "/register/email/requestToken", "/account/password/email/requestToken"]) {
      const r = await t.request("POST", V3 + path, { body: { client_secret: "x", email: "a@b.c", send_attempt: 1 } });
      expect(r.body.errcode).toBe("M_THREEPID_DENIED");
    }
  });

  test("capabilities", async () => {
    const a = await register(t, "heidi", "pw");
    const r = await t.request("GET", `${V3}/capabilities`, { token: a.accessToken });
    expect(r.status).toBe(200);
    const caps = r.body.capabilities;
    expect(caps["m.change_password"]).toEqual({ enabled: true });
    expect(caps["m.set_displayname"]).toEqual({ enabled: true });
    expect(caps["m.set_avatar_url"]).toEqual({ enabled: true });
    expect(caps["m.3pid_changes"]).toEqual({ enabled: false });
    expect(caps["m.room_versions"].default).toBe(DEFAULT_ROOM_VERSION);
    expect(Object.keys(caps["m.room_versions"].available).sort()).toEqual([...CREATABLE_ROOM_VERSIONS].sort());
    expect(Object.values(caps["m.room_versions"].available).every((d) => d === "stable")).toBe(true);
    expect((await t.request("GET", `${V3}/capabilities`)).status).toBe(401);
  });
});
