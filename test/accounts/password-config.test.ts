import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { verifyPassword } from "../../src/accounts/passwords.ts";
import { adminRegister, login, register, startAccountsHomeserver } from "./helpers.ts";

const V3 = "/_matrix/client/v3";

const changePassword = async (t: TestHomeserver, user: { userId: string; accessToken: string }, oldPw: string, newPw: string) => {
  return t.request("POST", `${V3}/account/password`, {
    token: user.accessToken,
    body: { new_password: newPw, auth: { type: "m.login.password", identifier: { type: "m.id.user", user: user.userId }, password: oldPw } },
  });
};

describe("password_config.policy", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver({
      config: { password_config: { policy: { enabled: true, minimum_length: 10, require_digit: true, require_symbol: true, require_uppercase: true } } },
    });
  });
  afterAll(() => t.stop());

  test("GET /password_policy describes it", async () => {
    const r = await t.request("GET", `${V3}/password_policy`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      "m.minimum_length": 10,
      "m.require_digit": true,
      "m.require_symbol": true,
      "m.require_lowercase": false,
      "m.require_uppercase": true,
    });
  });

  test("registration refuses a weak password before UIA starts", async () => {
    for (const [password, errcode] of [
      ["Short1!", "M_PASSWORD_TOO_SHORT"],
      ["Longenough!", "M_PASSWORD_NO_DIGIT"],
      ["Longenough1", "M_PASSWORD_NO_SYMBOL"],
      ["longenough1!", "M_PASSWORD_NO_UPPERCASE"],
    ]) {
      const r = await t.request("POST", `${V3}/register`, { body: { username: "weak", password } });
      expect(r.status).toBe(400);
      expect(r.body.errcode).toBe(errcode!);
    }
    const ok = await register(t, "strong", "Longenough1!");
    expect(ok.userId).toBe("@strong:test.local");
  });

  test("a password change must follow the policy too", async () => {
    const u = await register(t, "changer", "Longenough1!");
    const weak = await changePassword(t, u, "Longenough1!", "weakpassword");
    expect(weak.status).toBe(400);
    expect(weak.body.errcode).toBe("M_PASSWORD_NO_DIGIT");
    expect((await changePassword(t, u, "Longenough1!", "Evenlonger2?")).status).toBe(200);
    expect((await login(t, "changer", "Evenlonger2?")).status).toBe(200);
  });
});

describe("password_config.pepper", () => {
  let t: TestHomeserver;
  beforeAll(async () => (t = await startAccountsHomeserver({ config: { password_config: { pepper: "s3cret-pepper" } } })));
  afterAll(() => t.stop());

  test("users register, log in and change passwords; the stored hash needs the pepper", async () => {
    const u = await register(t, "peppy", "pw-one");
    expect((await login(t, "peppy", "pw-one")).status).toBe(200);
    const hash = (await t.hs.services.stores.users.get(u.userId))!.passwordHash!;
    expect(await verifyPassword("pw-one", hash)).toBe(false);
    expect(await verifyPassword("pw-ones3cret-pepper", hash)).toBe(true);
    expect((await changePassword(t, u, "pw-one", "pw-two")).status).toBe(200);
    expect((await login(t, "peppy", "pw-two")).status).toBe(200);
    expect((await login(t, "peppy", "pw-one")).status).toBe(403);
  });

  test("shared-secret registration hashes with the pepper", async () => {
    await adminRegister(t, "admin-made", "pw-three");
    expect((await login(t, "admin-made", "pw-three")).status).toBe(200);
  });
});

describe("password_config.enabled", () => {
  let off: TestHomeserver;
  let reauthOnly: TestHomeserver;
  beforeAll(async () => {
    off = await startAccountsHomeserver({ config: { password_config: { enabled: false } } });
    reauthOnly = await startAccountsHomeserver({ config: { password_config: { enabled: "only_for_reauth" } } });
  });
  afterAll(async () => {
    await off.stop();
    await reauthOnly.stop();
  });

  test("false: no password login, no password UIA stage, no password changes", async () => {
    expect((await off.request("GET", `${V3}/login`)).body).toEqual({ flows: [] });
    const u = await adminRegister(off, "nopw", "pw");
    const r = await login(off, "nopw", "pw");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ errcode: "M_UNKNOWN", error: "Password login has been disabled." });
    const caps = await off.request("GET", `${V3}/capabilities`, { token: u.accessToken });
    expect(caps.body.capabilities["m.change_password"]).toEqual({ enabled: false });
    const challenge = await off.request("POST", `${V3}/delete_devices`, { token: u.accessToken, body: { devices: [] } });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([]);
  });

  test("only_for_reauth: no login, but UIA takes the password; changing it is refused", async () => {
    expect((await reauthOnly.request("GET", `${V3}/login`)).body).toEqual({ flows: [] });
    const u = await adminRegister(reauthOnly, "reauth", "pw");
    expect((await login(reauthOnly, "reauth", "pw")).status).toBe(400);
    const challenge = await reauthOnly.request("POST", `${V3}/delete_devices`, { token: u.accessToken, body: { devices: [] } });
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const change = await changePassword(reauthOnly, u, "pw", "new-pw");
    expect(change.status).toBe(403);
    expect(change.body).toEqual({ errcode: "M_FORBIDDEN", error: "Password change disabled" });
  });
});

describe("password_config.localdb_enabled: false", () => {
  let t: TestHomeserver;
  beforeAll(async () => (t = await startAccountsHomeserver({ config: { password_config: { localdb_enabled: false } } })));
  afterAll(() => t.stop());

  test("passwords in the database are never checked", async () => {
    expect((await t.request("GET", `${V3}/login`)).body).toEqual({ flows: [] });
    await adminRegister(t, "local", "pw");
    const r = await login(t, "local", "pw");
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("Unknown login type m.login.password");
  });
});
