import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import type { DevicesDeleted } from "../../src/accounts/devices.ts";
import { login, register, startAccountsHomeserver } from "./helpers.ts";

const V3 = "/_matrix/client/v3";

describe("devices", () => {
  let t: TestHomeserver;
  const deleted: DevicesDeleted[] = [];
  beforeAll(async () => {
    t = await startAccountsHomeserver();
    t.hs.services.accounts.devices.onDevicesDeleted.add((e) => void deleted.push(e));
  });
  afterAll(() => t.stop());

  const passwordAuth = (user: string, password: string, session: string) => ({
    type: "m.login.password",
    identifier: { type: "m.id.user", user },
    password,
    session,
  });

  test("list, get and rename", async () => {
    const a = await register(t, "ivan", "pw", { device_id: "ONE", initial_device_display_name: "First" });
    await login(t, "ivan", "pw", { device_id: "TWO" });
    const list = await t.request("GET", `${V3}/devices`, { token: a.accessToken });
    expect(list.status).toBe(200);
    const ids = list.body.devices.map((d: { device_id: string }) => d.device_id).sort();
    expect(ids).toEqual(["ONE", "TWO"]);
    const one = list.body.devices.find((d: { device_id: string }) => d.device_id === "ONE");
    expect(one.display_name).toBe("First");
    expect(typeof one.last_seen_ts).toBe("number");
    expect(one.last_seen_user_agent).toBeUndefined();

    expect((await t.request("PUT", `${V3}/devices/TWO`, { token: a.accessToken, body: { display_name: "Second" } })).status).toBe(200);
    expect((await t.request("GET", `${V3}/devices/TWO`, { token: a.accessToken })).body.display_name).toBe("Second");
    expect((await t.request("GET", `${V3}/devices/NOPE`, { token: a.accessToken })).status).toBe(404);
    expect((await t.request("PUT", `${V3}/devices/NOPE`, { token: a.accessToken, body: { display_name: "x" } })).status).toBe(404);
    const long = await t.request("PUT", `${V3}/devices/TWO`, { token: a.accessToken, body: { display_name: "x".repeat(101) } });
    expect(long.status).toBe(400);
  });

  test("another user's devices are invisible", async () => {
    const a = await register(t, "judy", "pw", { device_id: "JUDYS" });
    const b = await register(t, "mallory", "pw");
    expect((await t.request("GET", `${V3}/devices/JUDYS`, { token: b.accessToken })).status).toBe(404);
    expect(a.deviceId).toBe("JUDYS");
  });

  test("DELETE /devices/{id} takes UIA and ends the device's tokens", async () => {
    const a = await register(t, "ken", "pw", { device_id: "KEEP" });
    const victim = await login(t, "ken", "pw", { device_id: "GONE" });
    const challenge = await t.request("DELETE", `${V3}/devices/GONE`, { token: a.accessToken });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const ok = await t.request("DELETE", `${V3}/devices/GONE`, {
      token: a.accessToken,
      body: { auth: passwordAuth("ken", "pw", challenge.body.session) },
    });
    expect(ok.status).toBe(200);
    expect((await t.request("GET", `${V3}/account/whoami`, { token: victim.body.access_token })).status).toBe(401);
    expect((await t.request("GET", `${V3}/devices/GONE`, { token: a.accessToken })).status).toBe(404);
    expect(deleted).toContainEqual({ userId: "@ken:test.local", deviceIds: ["GONE"] });
  });

  test("POST /delete_devices removes several, ignoring unknown ids", async () => {
    const a = await register(t, "leo", "pw", { device_id: "MAIN" });
    const x = await login(t, "leo", "pw", { device_id: "X" });
    const y = await login(t, "leo", "pw", { device_id: "Y" });
    const body = { devices: ["X", "Y", "UNKNOWN"] };
    const challenge = await t.request("POST", `${V3}/delete_devices`, { token: a.accessToken, body });
    expect(challenge.status).toBe(401);
    const ok = await t.request("POST", `${V3}/delete_devices`, {
      token: a.accessToken,
      body: { ...body, auth: passwordAuth("leo", "pw", challenge.body.session) },
    });
    expect(ok.status).toBe(200);
    for (const r of [x, y]) expect((await t.request("GET", `${V3}/account/whoami`, { token: r.body.access_token })).status).toBe(401);
    const left = await t.request("GET", `${V3}/devices`, { token: a.accessToken });
    expect(left.body.devices.map((d: { device_id: string }) => d.device_id)).toEqual(["MAIN"]);
    const missing = await t.request("POST", `${V3}/delete_devices`, { token: a.accessToken, body: {} });
    expect(missing.body.errcode).toBe("M_MISSING_PARAM");
  });
});
