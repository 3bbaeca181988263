import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as sdk from "matrix-js-sdk";
import type { TestHomeserver } from "../support/homeserver.ts";
import { startAccountsHomeserver } from "./helpers.ts";

/** The SDK's error for a UIA challenge carries the 401 body in `data`. */
async function uiaSession(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { httpStatus?: number; data?: { session?: string; flows?: unknown } };
    expect(e.httpStatus).toBe(401);
    expect(e.data?.flows).toBeDefined();
    return e.data!.session!;
  }
  throw new Error("expected a UIA challenge");
}

describe("matrix-js-sdk as a client", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver();
  });
  afterAll(() => t.stop());

  test("registers through UIA with m.login.dummy, then whoami and logout", async () => {
    const client = sdk.createClient({ baseUrl: t.baseUrl });
    expect(await client.isUsernameAvailable("sdkuser")).toBe(true);
    const session = await uiaSession(client.registerRequest({ username: "sdkuser", password: "sdk-pass", initial_device_display_name: "SDK" }));
    const res = await client.registerRequest({
      username: "sdkuser",
      password: "sdk-pass",
      initial_device_display_name: "SDK",
      auth: { type: "m.login.dummy", session },
    });
    expect(res.user_id).toBe("@sdkuser:test.local");
    expect(res.access_token).toBeString();

    const me = sdk.createClient({ baseUrl: t.baseUrl, userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id });
    expect(await me.whoami()).toEqual({ user_id: "@sdkuser:test.local", is_guest: false, device_id: res.device_id! });
    await me.logout();
    await expect(me.whoami()).rejects.toMatchObject({ httpStatus: 401, errcode: "M_UNKNOWN_TOKEN" });
  });

  test("logs in with a password, with and without refresh tokens", async () => {
    const client = sdk.createClient({ baseUrl: t.baseUrl });
    const flows = await client.loginFlows();
    expect(flows.flows.map((f) => f.type)).toContain("m.login.password");

    const login = await client.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: "sdkuser" }, password: "sdk-pass" });
    expect(login.user_id).toBe("@sdkuser:test.local");
    const byPassword = await sdk.createClient({ baseUrl: t.baseUrl }).loginWithPassword("@sdkuser:test.local", "sdk-pass");
    expect(byPassword.device_id).not.toBe(login.device_id);

    const refreshable = await client.loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "sdkuser" },
      password: "sdk-pass",
      refresh_token: true,
    });
    expect(refreshable.expires_in_ms).toBe(300_000);
    const refreshed = await client.refreshToken(refreshable.refresh_token!);
    expect(refreshed.access_token).toBeString();
    const me = sdk.createClient({ baseUrl: t.baseUrl, userId: login.user_id, accessToken: refreshed.access_token });
    expect((await me.whoami()).device_id).toBe(refreshable.device_id);

    await expect(client.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: "sdkuser" }, password: "wrong" })).rejects.toMatchObject({
      httpStatus: 403,
      errcode: "M_FORBIDDEN",
    });
  });

  test("profile, account data, devices and capabilities", async () => {
    const login = await sdk.createClient({ baseUrl: t.baseUrl }).loginWithPassword("sdkuser", "sdk-pass");
    const me = sdk.createClient({ baseUrl: t.baseUrl, userId: login.user_id, accessToken: login.access_token, deviceId: login.device_id });

    await me.setDisplayName("SDK User");
    expect(await me.getProfileInfo("@sdkuser:test.local")).toEqual({ displayname: "SDK User" });

    await me.setAccountData("org.example.settings" as never, { theme: "dark" } as never);
    expect(await me.getAccountDataFromServer("org.example.settings" as never)).toEqual({ theme: "dark" } as never);

    const { devices } = await me.getDevices();
    expect(devices.some((d) => d.device_id === login.device_id)).toBe(true);
    await me.setDeviceDetails(login.device_id, { display_name: "Renamed by SDK" });
    expect((await me.getDevice(login.device_id)).display_name).toBe("Renamed by SDK");

    const other = await sdk.createClient({ baseUrl: t.baseUrl }).loginWithPassword("sdkuser", "sdk-pass");
    const session = await uiaSession(me.deleteDevice(other.device_id));
    await me.deleteDevice(other.device_id, { type: "m.login.password", identifier: { type: "m.id.user", user: "sdkuser" }, password: "sdk-pass", session });
    const gone = sdk.createClient({ baseUrl: t.baseUrl, accessToken: other.access_token });
    await expect(gone.whoami()).rejects.toMatchObject({ httpStatus: 401 });

    const caps = await me.getCapabilities();
    expect(caps["m.change_password"]?.enabled).toBe(true);
    expect(caps["m.room_versions"]?.default).toBeString();
  });

  test("changes the password and deactivates through UIA", async () => {
    const client = sdk.createClient({ baseUrl: t.baseUrl });
    const s1 = await uiaSession(client.registerRequest({ username: "sdkleaver", password: "pw1" }));
    const res = await client.registerRequest({ auth: { type: "m.login.dummy", session: s1 } });
    const me = sdk.createClient({ baseUrl: t.baseUrl, userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id });

    const s2 = await uiaSession(me.setPassword({} as never, "pw2"));
    await me.setPassword({ type: "m.login.password", identifier: { type: "m.id.user", user: "sdkleaver" }, password: "pw1", session: s2 }, "pw2");
    await expect(client.loginWithPassword("sdkleaver", "pw1")).rejects.toMatchObject({ httpStatus: 403 });
    expect((await client.loginWithPassword("sdkleaver", "pw2")).user_id).toBe("@sdkleaver:test.local");

    const s3 = await uiaSession(me.deactivateAccount(undefined, true));
    await me.deactivateAccount({ type: "m.login.password", identifier: { type: "m.id.user", user: "sdkleaver" }, password: "pw2", session: s3 }, true);
    await expect(client.loginWithPassword("sdkleaver", "pw2")).rejects.toMatchObject({ httpStatus: 403, errcode: "M_USER_DEACTIVATED" });
  });
});
