import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startMasSetup, type MasTestSetup } from "../mas/harness.ts";

let s: MasTestSetup;
let adminToken: string;
let userToken: string;
const enc = encodeURIComponent;

beforeAll(async () => {
  s = await startMasSetup();
  adminToken = await s.userWithToken("boss", { scope: "openid urn:matrix:client:api:* urn:synapse:admin:* urn:matrix:client:device:DEVICE1" });
  userToken = await s.userWithToken("pleb");
});
afterAll(async () => {
  await s.stop();
});

describe("admin API under MAS delegation (behaviour spec §1.8)", () => {
  test("the admin scope makes a server admin; without it 403", async () => {
    const res = await s.server.request("GET", `/_synapse/admin/v2/users/${enc("@pleb:test.local")}`, { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe("@pleb:test.local");
    const refused = await s.server.request("GET", `/_synapse/admin/v2/users/${enc("@pleb:test.local")}`, { token: userToken });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("You are not a server admin");
  });

  test("the user list needs guests=false (Synapse quirk, copied)", async () => {
    const dflt = await s.server.request("GET", "/_synapse/admin/v2/users", { token: adminToken });
    expect(dflt.status).toBe(400);
    expect(dflt.body).toEqual({ errcode: "M_INVALID_PARAM", error: "The guests parameter is not supported when delegating to MAS." });
    const ok = await s.server.request("GET", "/_synapse/admin/v2/users?guests=false", { token: adminToken });
    expect(ok.status).toBe(200);
    expect(ok.body.users.map((u: any) => u.name).sort()).toEqual(["@boss:test.local", "@pleb:test.local"]);
  });

  test("what MAS owns is not registered: reset_password, login as, the admin flag, registration tokens", async () => {
    for (const [method, path] of [
      ["POST", `/_synapse/admin/v1/reset_password/${enc("@pleb:test.local")}`],
      ["POST", `/_synapse/admin/v1/users/${enc("@pleb:test.local")}/login`],
      ["GET", `/_synapse/admin/v1/users/${enc("@pleb:test.local")}/admin`],
      ["PUT", `/_synapse/admin/v1/users/${enc("@pleb:test.local")}/admin`],
      ["GET", "/_synapse/admin/v1/registration_tokens"],
      ["POST", "/_synapse/admin/v1/registration_tokens/new"],
    ] as const) {
      const res = await s.server.request(method, path, { token: adminToken, body: method === "GET" ? undefined : {} });
      expect({ path, status: res.status, errcode: res.body?.errcode }).toEqual({ path, status: 404, errcode: "M_UNRECOGNIZED" });
    }
  });
});
