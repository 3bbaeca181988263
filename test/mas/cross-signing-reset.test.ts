import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { capturedLogs } from "../support/logs.ts";
import { startMasSetup, type MasTestSetup } from "./harness.ts";

const masterKey = (userId: string) => {
  const pub = randomBytes(32).toString("base64").replace(/=+$/, "");
  return { user_id: userId, usage: ["master"], keys: { [`ed25519:${pub}`]: pub } };
};

describe("cross-signing reset approved by MAS", () => {
  let s: MasTestSetup;
  beforeAll(async () => {
    s = await startMasSetup();
  });
  afterAll(() => s.stop());

  test("replacing the master key needs MAS's approval, which allow_cross_signing_reset gives", async () => {
    const token = await s.userWithToken("xs");
    const upload = (key: unknown) => s.server.request("POST", "/_matrix/client/v3/keys/device_signing/upload", { token, body: { master_key: key } });
    expect((await upload(masterKey("@xs:test.local"))).status).toBe(200);

    const refused = await upload(masterKey("@xs:test.local"));
    expect(refused.status).toBe(401);
    const url = `${s.mas.endpoint}account/?action=org.matrix.cross_signing_reset`;
    expect(refused.body).toMatchObject({
      flows: [{ stages: ["m.oauth"] }, { stages: ["org.matrix.cross_signing_reset"] }],
      params: { "m.oauth": { url }, "org.matrix.cross_signing_reset": { url } },
    });

    capturedLogs.length = 0;
    expect((await s.masApi("POST", "allow_cross_signing_reset", { localpart: "xs" })).status).toBe(200);
    expect(capturedLogs.some((r) => String(r.rawMessage).includes("has no master cross-signing key"))).toBe(false);
    expect((await upload(masterKey("@xs:test.local"))).status).toBe(200);
  });
});
