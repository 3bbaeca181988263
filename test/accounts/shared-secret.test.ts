import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { capturedLogs, configureTestLogging, renderedLogs } from "../support/logs.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { loadRegistrationSharedSecret, registrationMac } from "../../src/accounts/shared-secret.ts";
import { parseConfig } from "../../src/config/load.ts";
import { login, sharedSecretMac } from "./helpers.ts";

const PATH = "/_synapse/admin/v1/register";
const SECRET = "test-shared-secret";

async function nonce(t: TestHomeserver): Promise<string> {
  const r = await t.request("GET", PATH);
  expect(r.status).toBe(200);
  return r.body.nonce;
}

/** A complete, correctly signed request body. */
async function signed(t: TestHomeserver, o: { username: string; password?: string; admin?: boolean; user_type?: string; secret?: string } & Record<string, unknown>) {
  const n = await nonce(t);
  const { secret = SECRET, password = "abc123", admin = false, ...rest } = o;
  const parts = [n, o.username, password, admin ? "admin" : "notadmin"];
  if (o.user_type) parts.push(o.user_type);
  return { ...rest, nonce: n, password, admin, mac: sharedSecretMac(secret, parts) };
}

describe("the HMAC", () => {
  test("matches vectors computed with Python's hmac module", () => {
    expect(registrationMac(SECRET, { nonce: "abcdef", username: "bob", password: "abc123", admin: true, userType: "support" })).toBe(
      "7e84519a0b1316fc38c4b63051d91dce8b73610b",
    );
    expect(registrationMac(SECRET, { nonce: "n", username: "josé", password: "päss", admin: false })).toBe(
      "366320c9c1b5a4c5179b10494c8373d3bc13451a",
    );
  });
});

describe("shared-secret registration", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startTestHomeserver();
  });
  afterAll(() => t.stop());

  test("GET gives a 128-character hex nonce", async () => {
    expect(await nonce(t)).toMatch(/^[0-9a-f]{128}$/);
  });

  test("an admin support user with a MAC over nonce, username, password, admin and user_type", async () => {
    const r = await t.request("POST", PATH, { body: await signed(t, { username: "bob", admin: true, user_type: "support" }) });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["access_token", "device_id", "home_server", "user_id"]);
    expect(r.body.user_id).toBe("@bob:test.local");
    expect(r.body.home_server).toBe("test.local");
    const user = await t.hs.services.stores.users.get("@bob:test.local");
    expect(user).toMatchObject({ admin: true, userType: "support" });
    const who = await t.request("GET", "/_matrix/client/v3/account/whoami", { token: r.body.access_token });
    expect(who.body.user_id).toBe("@bob:test.local");
    expect((await login(t, "bob", "abc123")).status).toBe(200);
  });

  test("a nonce is single-use", async () => {
    const body = await signed(t, { username: "once" });
    expect((await t.request("POST", PATH, { body })).status).toBe(200);
    const again = await t.request("POST", PATH, { body: { ...body, username: "twice" } });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ errcode: "M_UNKNOWN", error: "unrecognised nonce" });
  });

  test("a wrong MAC is 403 HMAC incorrect, and the nonce is gone", async () => {
    const body = await signed(t, { username: "mallory" });
    const bad = await t.request("POST", PATH, { body: { ...body, mac: "0".repeat(40) } });
    expect(bad.status).toBe(403);
    expect(bad.body).toEqual({ errcode: "M_UNKNOWN", error: "HMAC incorrect" });
    expect((await t.request("POST", PATH, { body })).body.error).toBe("unrecognised nonce");
    const other = await signed(t, { username: "mallory", secret: "wrong-secret" });
    expect((await t.request("POST", PATH, { body: other })).status).toBe(403);
    const notString = await signed(t, { username: "mallory" });
    expect((await t.request("POST", PATH, { body: { ...notString, mac: 12 } })).status).toBe(403);
    const adminFlipped = await signed(t, { username: "mallory", admin: false });
    expect((await t.request("POST", PATH, { body: { ...adminFlipped, admin: true } })).status).toBe(403);
  });

  test("every missing or invalid part has its message, in order", async () => {
    const cases: Array<[(b: Record<string, unknown>) => Record<string, unknown>, number, string, string]> = [
      [({ nonce: _n, ...b }) => b, 400, "M_BAD_JSON", "nonce must be specified"],
      [(b) => ({ ...b, nonce: "unknown" }), 400, "M_UNKNOWN", "unrecognised nonce"],
      [({ username: _u, ...b }) => b, 400, "M_BAD_JSON", "username must be specified"],
      [(b) => ({ ...b, username: 5 }), 400, "M_UNKNOWN", "Invalid username"],
      [(b) => ({ ...b, username: "x".repeat(513) }), 400, "M_UNKNOWN", "Invalid username"],
      [(b) => ({ ...b, username: "a\u0000b" }), 400, "M_UNKNOWN", "Invalid username"],
      [({ password: _p, ...b }) => b, 400, "M_BAD_JSON", "password must be specified"],
      [(b) => ({ ...b, password: ["x"] }), 400, "M_UNKNOWN", "Invalid password"],
      [(b) => ({ ...b, user_type: "wizard" }), 400, "M_UNKNOWN", "Invalid user type"],
      [({ mac: _m, ...b }) => b, 400, "M_BAD_JSON", "mac must be specified"],
    ];
    for (const [mutate, status, errcode, error] of cases) {
      const r = await t.request("POST", PATH, { body: mutate(await signed(t, { username: "parts" })) });
      expect(r.status).toBe(status);
      expect(r.body).toEqual({ errcode, error });
    }
    expect((await t.request("POST", PATH, { body: "not json" })).body.errcode).toBe("M_NOT_JSON");
  });

  test("display name: absent or null is the localpart, empty is none, a value is kept", async () => {
    const profile = (u: string) => t.request("GET", `/_matrix/client/v3/profile/@${u}:test.local`);
    await t.request("POST", PATH, { body: await signed(t, { username: "dn1" }) });
    expect((await profile("dn1")).body).toEqual({ displayname: "dn1" });
    await t.request("POST", PATH, { body: await signed(t, { username: "dn2", displayname: null }) });
    expect((await profile("dn2")).body).toEqual({ displayname: "dn2" });
    await t.request("POST", PATH, { body: await signed(t, { username: "dn3", displayname: "" }) });
    expect((await profile("dn3")).status).toBe(404);
    await t.request("POST", PATH, { body: await signed(t, { username: "dn4", displayname: "Dee Four" }) });
    expect((await profile("dn4")).body).toEqual({ displayname: "Dee Four" });
  });

  test("the localpart is lowercased after the MAC check; taken and invalid names are refused", async () => {
    const r = await t.request("POST", PATH, { body: await signed(t, { username: "UpperCase" }) });
    expect(r.body.user_id).toBe("@uppercase:test.local");
    const taken = await t.request("POST", PATH, { body: await signed(t, { username: "bob" }) });
    expect(taken.body.errcode).toBe("M_USER_IN_USE");
    const invalid = await t.request("POST", PATH, { body: await signed(t, { username: "has space" }) });
    expect(invalid.body.errcode).toBe("M_INVALID_USERNAME");
  });

  test("inhibit_login, device_id, refresh_token", async () => {
    const inhibited = await t.request("POST", PATH, { body: await signed(t, { username: "quiet", inhibit_login: true }) });
    expect(inhibited.body).toEqual({ user_id: "@quiet:test.local", home_server: "test.local" });
    const dev = await t.request("POST", PATH, { body: await signed(t, { username: "withdev", device_id: "ADMINDEV", refresh_token: true }) });
    expect(dev.body.device_id).toBe("ADMINDEV");
    expect(dev.body.refresh_token).toMatch(/^syr_/);
    const badRefresh = await t.request("POST", PATH, { body: await signed(t, { username: "badrefresh", refresh_token: "yes" }) });
    expect(badRefresh.body.error).toBe("refresh_token must be a boolean");
  });
});

describe("nonce expiry", () => {
  test("a nonce is valid for 60 seconds", async () => {
    const clock = new FakeClock("test.local");
    const t = await startTestHomeserver({ clock });
    try {
      const fresh = await nonce(t);
      const stale = await nonce(t);
      await clock.advance(59_000);
      // Past the nonce check: the missing username is what fails.
      expect((await t.request("POST", PATH, { body: { nonce: fresh } })).body.error).toBe("username must be specified");
      await clock.advance(2_000);
      expect((await t.request("POST", PATH, { body: { nonce: stale } })).body.error).toBe("unrecognised nonce");
    } finally {
      await t.stop();
    }
  });
});

describe("configuration", () => {
  test("without a secret: GET works, POST says it is not enabled", async () => {
    const t = await startTestHomeserver({ config: { registration_shared_secret: undefined } });
    try {
      const n = await nonce(t);
      const r = await t.request("POST", PATH, { body: { nonce: n } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ errcode: "M_UNKNOWN", error: "Shared secret registration is not enabled" });
    } finally {
      await t.stop();
    }
  });

  test("a missing registration_shared_secret_path file is created with a fresh secret and a WARN", async () => {
    const path = join(tmpdir(), `hearth-secret-${process.pid}-${Date.now()}`, "registration.secret");
    capturedLogs.length = 0;
    const t = await startTestHomeserver({ config: { registration_shared_secret: undefined, registration_shared_secret_path: path } });
    try {
      expect(existsSync(path)).toBe(true);
      const content = readFileSync(path, "utf8");
      expect(content).toMatch(/^[0-9a-zA-Z.,;:^&*\-_+=#~@]{50}\n$/);
      const warn = capturedLogs.find((r) => r.level === "warning" && String(r.message.join("")).includes("registration_shared_secret_path"));
      expect(warn).toBeDefined();
      // The secret itself never reaches the log.
      expect(renderedLogs().join("\n")).not.toContain(content.trim());
      const r = await t.request("POST", PATH, { body: await signed(t, { username: "fromfile", secret: content.trim() }) });
      expect(r.status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  test("both the inline secret and the path is an error", () => {
    const { config } = parseConfig({
      server_name: "test.local",
      registration_shared_secret: "a",
      registration_shared_secret_path: join(tmpdir(), "never-created-secret"),
    });
    expect(() => loadRegistrationSharedSecret(config)).toThrow(/mutually incompatible/);
  });
});

describe("the registration debug logger", () => {
  const mismatch = async (t: TestHomeserver) => {
    const body = await signed(t, { username: "debuggee", password: "sensitive-password" });
    const r = await t.request("POST", PATH, { body: { ...body, mac: "f".repeat(40) } });
    expect(r.status).toBe(403);
    return body;
  };
  const expectedMac = (body: Record<string, unknown>) =>
    sharedSecretMac(SECRET, [body.nonce as string, "debuggee", "sensitive-password", "notadmin"]);

  test("does not log the details when only a parent category is at DEBUG", async () => {
    // The test preload sets every hearth category to DEBUG without naming this one.
    const t = await startTestHomeserver();
    try {
      capturedLogs.length = 0;
      const body = await mismatch(t);
      expect(capturedLogs.some((r) => r.category.join(".") === "hearth.registration_debug")).toBe(false);
      const all = renderedLogs().join("\n");
      expect(all).not.toContain(expectedMac(body));
      expect(all).toContain("HMAC incorrect (username=debuggee)");
      expect(all).not.toContain("sensitive-password");
      expect(all).not.toContain(SECRET);
    } finally {
      await t.stop();
    }
  });

  test("logs nonce, both MACs and lengths when the category is configured explicitly", async () => {
    const logging = await configureTestLogging({ "hearth.registration_debug": "debug" });
    const t = await startTestHomeserver({ logging });
    try {
      capturedLogs.length = 0;
      const body = await mismatch(t);
      const records = capturedLogs.filter((r) => r.category.join(".") === "hearth.registration_debug");
      expect(records.length).toBe(1);
      const line = renderedLogs().find((l) => l.includes("Incorrect HMAC digest"))!;
      expect(line).toContain(String(body.nonce));
      expect(line).toContain(expectedMac(body));
      expect(line).toContain("f".repeat(40));
      expect(line).toContain("password length=18");
      expect(line).not.toContain("sensitive-password");
      expect(line).not.toContain(SECRET);
    } finally {
      await t.stop();
      await configureTestLogging();
    }
  });

  test("the Synapse category name (from a Synapse log_config) enables it too", async () => {
    const logging = await configureTestLogging({ "synapse.rest.admin.users.registration_debug": "debug" }, "info");
    const t = await startTestHomeserver({ logging });
    try {
      capturedLogs.length = 0;
      const body = await mismatch(t);
      expect(renderedLogs().some((l) => l.includes("Incorrect HMAC digest") && l.includes(expectedMac(body)))).toBe(true);
    } finally {
      await t.stop();
      await configureTestLogging();
    }
  });

  test("an explicit level above DEBUG keeps it quiet", async () => {
    const logging = await configureTestLogging({ "hearth.registration_debug": "info" });
    const t = await startTestHomeserver({ logging });
    try {
      capturedLogs.length = 0;
      const body = await mismatch(t);
      expect(renderedLogs().join("\n")).not.toContain(expectedMac(body));
    } finally {
      await t.stop();
      await configureTestLogging();
    }
  });
});
