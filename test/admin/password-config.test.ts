import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAdminFixture, type AdminFixture } from "./helpers.ts";

let f: AdminFixture;
beforeAll(async () => {
  f = await startAdminFixture({
    config: { password_config: { pepper: "a-server-wide-pepper" }, user_types: { extra_user_types: ["bridge"] } },
  });
});
afterAll(() => f.t.stop());

const login = (user: string, password: string) =>
  f.t.request("POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password },
  });

describe("admin API with password_config and user_types", () => {
  test("a user created with a password through the admin API can log in when a pepper is set", async () => {
    const put = await f.t.request("PUT", `/_synapse/admin/v2/users/@bob:${f.serverName}`, {
      token: f.admin.token,
      body: { password: "first secret 1" },
    });
    expect(put.status).toBe(201);
    expect((await login("bob", "first secret 1")).status).toBe(200);
    expect((await login("bob", "wrong")).status).toBe(403);
  });

  test("reset_password hashes with the pepper too", async () => {
    const reset = await f.t.request("POST", `/_synapse/admin/v1/reset_password/@bob:${f.serverName}`, {
      token: f.admin.token,
      body: { new_password: "second secret 2", logout_devices: false },
    });
    expect(reset.status).toBe(200);
    expect((await login("bob", "second secret 2")).status).toBe(200);
  });

  test("extra user types from the config are accepted; unknown ones are refused", async () => {
    const ok = await f.t.request("PUT", `/_synapse/admin/v2/users/@bridgebot:${f.serverName}`, {
      token: f.admin.token,
      body: { user_type: "bridge" },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.user_type).toBe("bridge");
    const bad = await f.t.request("PUT", `/_synapse/admin/v2/users/@other:${f.serverName}`, {
      token: f.admin.token,
      body: { user_type: "nonsense" },
    });
    expect(bad.status).toBe(400);
  });
});
