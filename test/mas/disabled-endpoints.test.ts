import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startMasSetup, type MasTestSetup } from "./harness.ts";

/** Behaviour spec §1.8: what the client and admin APIs look like with delegation on. */
describe("client API surface with delegation on", () => {
  let s: MasTestSetup;
  let token: string;
  beforeAll(async () => {
    s = await startMasSetup();
    token = await s.userWithToken("surface");
  });
  afterAll(() => s.stop());

  const unregistered: Array<[string, string]> = [
    ["GET", "/_matrix/client/v3/login"],
    ["POST", "/_matrix/client/v3/login"],
    ["POST", "/_matrix/client/r0/login"],
    ["POST", "/_matrix/client/v3/refresh"],
    ["POST", "/_matrix/client/v3/logout"],
    ["POST", "/_matrix/client/v3/logout/all"],
    ["GET", "/_matrix/client/v3/register/available?username=x"],
    ["POST", "/_matrix/client/v3/register/email/requestToken"],
    ["POST", "/_matrix/client/v3/register/msisdn/requestToken"],
    ["GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=x"],
    ["POST", "/_matrix/client/v3/account/password"],
    ["POST", "/_matrix/client/v3/account/password/email/requestToken"],
    ["POST", "/_matrix/client/v3/account/deactivate"],
    ["POST", "/_matrix/client/v3/account/3pid/add"],
    ["POST", "/_matrix/client/v3/account/3pid/delete"],
    ["POST", "/_matrix/client/v3/account/3pid/email/requestToken"],
    ["POST", "/_matrix/client/v3/delete_devices"],
    ["GET", "/_synapse/admin/v1/register"],
    ["POST", "/_synapse/admin/v1/register"],
  ];
  for (const [method, path] of unregistered) {
    test(`${method} ${path} is unknown (404 M_UNRECOGNIZED)`, async () => {
      const res = await s.server.request(method, path, { token, body: method === "POST" ? {} : undefined });
      expect(res.status).toBe(404);
      expect(res.body.errcode).toBe("M_UNRECOGNIZED");
    });
  }

  test("the deprecated POST /account/3pid answers 404 M_UNRECOGNIZED before authenticating", async () => {
    const res = await s.server.request("POST", "/_matrix/client/v3/account/3pid", { body: {} });
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_UNRECOGNIZED");
  });

  test("DELETE /devices/{id} authenticates first, then refuses with 404 M_UNRECOGNIZED", async () => {
    const anonymous = await s.server.request("DELETE", "/_matrix/client/v3/devices/DEVICE1", { body: {} });
    expect(anonymous.status).toBe(401);
    const res = await s.server.request("DELETE", "/_matrix/client/v3/devices/DEVICE1", { token, body: {} });
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_UNRECOGNIZED");
    // The device is still there.
    expect((await s.server.request("GET", "/_matrix/client/v3/devices/DEVICE1", { token })).status).toBe(200);
  });

  test("POST /register only takes application-service registrations", async () => {
    const pw = await s.server.request("POST", "/_matrix/client/v3/register", { body: { username: "x", password: "p", auth: { type: "m.login.dummy" } } });
    expect(pw.status).toBe(403);
    expect(pw.body).toEqual({
      errcode: "M_FORBIDDEN",
      error: "Registration has been disabled. Only m.login.application_service registrations are allowed.",
    });
    const noInhibit = await s.server.request("POST", "/_matrix/client/v3/register", { body: { type: "m.login.application_service", username: "x" } });
    expect(noInhibit.status).toBe(400);
    expect(noInhibit.body.errcode).toBe("M_APPSERVICE_LOGIN_UNSUPPORTED");
  });

  test("unchanged: GET /account/3pid, GET /devices, whoami", async () => {
    expect((await s.server.request("GET", "/_matrix/client/v3/account/3pid", { token })).status).toBe(200);
    const devices = await s.server.request("GET", "/_matrix/client/v3/devices", { token });
    expect(devices.status).toBe(200);
    expect(devices.body.devices.map((d: { device_id: string }) => d.device_id)).toEqual(["DEVICE1"]);
    expect((await s.server.request("GET", "/_matrix/client/v3/account/whoami", { token })).body.user_id).toBe("@surface:test.local");
  });

  test("capabilities say the password cannot be changed here", async () => {
    const caps = await s.server.request("GET", "/_matrix/client/v3/capabilities", { token });
    expect(caps.body.capabilities["m.change_password"]).toEqual({ enabled: false });
  });
});
