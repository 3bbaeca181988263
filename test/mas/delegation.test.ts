import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { metricsRegistry } from "../../src/observability/metrics/registry.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { capturedLogs } from "../support/logs.ts";
import { startTestHomeserver } from "../support/homeserver.ts";
import { startMasSetup, type MasTestSetup } from "./harness.ts";
import { ADMIN, STABLE_API, UNSTABLE_API, deviceScope } from "./fake-mas.ts";

/** An authenticated request: /versions resolves a token when one is given, so it shows the auth outcome. */
const authed = (s: MasTestSetup, token: string) => s.server.request("GET", "/_matrix/client/versions", { token });
const resolve = (s: MasTestSetup, token: string) => s.server.hs.services.tokenResolver.resolve(token);

describe("token resolution through MAS", () => {
  let s: MasTestSetup;
  beforeAll(async () => {
    s = await startMasSetup();
  });
  afterAll(() => s.stop());

  test("a user provisioned by MAS uses a MAS token: user, device, not admin, not guest", async () => {
    const token = await s.userWithToken("alice", { deviceId: "ALICEDEV" });
    const res = await authed(s, token);
    expect(res.status).toBe(200);
    const requester = await resolve(s, token);
    expect(requester).toMatchObject({ userId: "@alice:test.local", deviceId: "ALICEDEV", isAdmin: false, isGuest: false });
    expect(requester.tokenId).not.toContain(token);
    const call = s.mas.calls.find((c) => c.token === token)!;
    expect(call.authorization).toBe("Bearer shared_secret");
    expect(call.supportsDeviceId).toBe("1");
    expect(call.tokenTypeHint).toBe("access_token");
  });

  test("whoami with a MAS token, with and without a device scope", async () => {
    const withDevice = await s.userWithToken("whoami1", { deviceId: "WHODEV" });
    const a = await s.server.request("GET", "/_matrix/client/v3/account/whoami", { token: withDevice });
    expect(a).toMatchObject({ status: 200, body: { user_id: "@whoami1:test.local", device_id: "WHODEV", is_guest: false } });
    const noDevice = await s.userWithToken("whoami2", { deviceId: "", scope: STABLE_API });
    const b = await s.server.request("GET", "/_matrix/client/r0/account/whoami", { token: noDevice });
    expect(b.status).toBe(200);
    expect(b.body).toEqual({ user_id: "@whoami2:test.local", is_guest: false });
    const bad = await s.server.request("GET", "/_matrix/client/v3/account/whoami", { token: "nope" });
    expect(bad.status).toBe(401);
    expect(bad.body.errcode).toBe("M_UNKNOWN_TOKEN");
  });

  test("a user provisioned through /_synapse/mas/provision_user syncs with a MAS token", async () => {
    const token = await s.userWithToken("syncuser");
    const res = await s.server.request("GET", "/_matrix/client/v3/sync?timeout=0", { token });
    expect(res.status).toBe(200);
    expect(typeof res.body.next_batch).toBe("string");
    s.mas.tokens.set("inactive-sync", { active: false });
    expect((await s.server.request("GET", "/_matrix/client/v3/sync?timeout=0", { token: "inactive-sync" })).status).toBe(401);
  });

  for (const [name, api, unstable] of [["stable", STABLE_API, false], ["unstable", UNSTABLE_API, true]] as const) {
    test(`${name} API and device scopes`, async () => {
      const lp = `scoped_${name}`;
      const token = await s.userWithToken(lp, { deviceId: "SCOPEDEV", scope: `openid ${api} ${deviceScope("SCOPEDEV", unstable)}` });
      expect(await resolve(s, token)).toMatchObject({ userId: `@${lp}:test.local`, deviceId: "SCOPEDEV" });
      expect((await authed(s, token)).status).toBe(200);
    });
  }

  test("the explicit device_id field wins over the device scope", async () => {
    const token = await s.userWithToken("fielddev", { deviceId: "REALDEV", scope: `${STABLE_API} ${deviceScope("OTHER")}`, extra: { device_id: "REALDEV" } });
    expect((await resolve(s, token)).deviceId).toBe("REALDEV");
  });

  test("a token without a device scope has no device", async () => {
    const token = await s.userWithToken("nodevice", { deviceId: "", scope: STABLE_API });
    expect((await resolve(s, token)).deviceId).toBeNull();
  });

  test("the admin scope makes the requester a server admin", async () => {
    const token = await s.userWithToken("boss", { scope: `${STABLE_API} ${ADMIN} ${deviceScope("DEVICE1")}` });
    expect((await resolve(s, token)).isAdmin).toBe(true);
  });

  test("inactive tokens and tokens without the API scope: 401 M_UNKNOWN_TOKEN, soft_logout false", async () => {
    s.mas.tokens.set("inactive", { active: false });
    const res = await authed(s, "inactive");
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errcode: "M_UNKNOWN_TOKEN", error: "Token is not active", soft_logout: false });
    await s.userWithToken("noscope");
    s.mas.tokens.set("noscope-token", { active: true, scope: "openid", username: "noscope" });
    const r2 = await authed(s, "noscope-token");
    expect(r2.status).toBe(401);
    expect(r2.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", error: "Token doesn't grant access to the Matrix C-S API" });
  });

  test("a token of an unknown user, or naming two devices, is 401 (not 500) and logged", async () => {
    s.mas.tokens.set("ghost", { active: true, scope: STABLE_API, username: "ghost" });
    capturedLogs.length = 0;
    const res = await authed(s, "ghost");
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(capturedLogs.some((r) => r.level === "warning" && String(r.properties.userId) === "@ghost:test.local")).toBe(true);
    await s.userWithToken("twodev");
    s.mas.tokens.set("twodev-token", { active: true, scope: `${STABLE_API} ${deviceScope("A")} ${deviceScope("B")}`, username: "twodev" });
    const r2 = await authed(s, "twodev-token");
    expect(r2.status).toBe(401);
    expect(s.mas.tokens.has("twodev-token")).toBe(true);
    s.mas.tokens.set("nouser-claim", { active: true, scope: STABLE_API });
    expect((await authed(s, "nouser-claim")).status).toBe(401);
  });

  test("a device MAS never created is refused", async () => {
    await s.userWithToken("inexistent");
    s.mas.tokens.set("inexistent-dev", { active: true, scope: `${STABLE_API} ${deviceScope("ABCDEF")}`, username: "inexistent" });
    const res = await authed(s, "inexistent-dev");
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("Token is not active");
  });

  test("answers are cached: repeated and concurrent uses call MAS once", async () => {
    const token = await s.userWithToken("cached");
    const before = s.mas.calls.filter((c) => c.token === token).length;
    await Promise.all([authed(s, token), authed(s, token), authed(s, token)]);
    await authed(s, token);
    expect(s.mas.calls.filter((c) => c.token === token).length - before).toBe(1);
  });

  test("deleting the device through /_synapse/mas/delete_device fails a cached token at once", async () => {
    const token = await s.userWithToken("leaver", { deviceId: "GOINGAWAY" });
    expect((await authed(s, token)).status).toBe(200);
    const del = await s.masApi("POST", "delete_device", { localpart: "leaver", device_id: "GOINGAWAY" });
    expect(del.status).toBe(204);
    // MAS still says active (its answer is cached anyway): the device check alone must refuse it.
    const res = await authed(s, token);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", error: "Token is not active", soft_logout: false });
    // The entry was evicted: the next use asks MAS again (and is refused again).
    const calls = s.mas.calls.filter((c) => c.token === token).length;
    expect((await authed(s, token)).status).toBe(401);
    expect(s.mas.calls.filter((c) => c.token === token).length).toBe(calls + 1);
  });

  test("sync_devices removing the device also fails the token at once", async () => {
    const token = await s.userWithToken("synced", { deviceId: "OLD" });
    expect((await authed(s, token)).status).toBe(200);
    expect((await s.masApi("POST", "sync_devices", { localpart: "synced", devices: ["NEW"] })).status).toBe(200);
    expect((await authed(s, token)).status).toBe(401);
  });

  test("MAS down, erroring or answering garbage: 503 M_UNKNOWN, never accepted, not cached", async () => {
    const token = await s.userWithToken("flaky");
    for (const mode of ["error500", "garbage", "huge"] as const) {
      s.mas.mode = mode;
      capturedLogs.length = 0;
      const res = await authed(s, token);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ errcode: "M_UNKNOWN", error: "Unable to introspect the access token" });
      expect(capturedLogs.some((r) => r.level === "error" && String(r.message.join("")).includes("Failed to introspect token"))).toBe(true);
      // The log line never carries the token.
      expect(JSON.stringify(capturedLogs.map((r) => [r.message, r.properties]))).not.toContain(token);
    }
    s.mas.mode = "ok";
    s.mas.tokens.set("empty-answer", {});
    expect((await authed(s, "empty-answer")).status).toBe(503);
    // Failures were not cached: the same token works once MAS is back.
    expect((await authed(s, token)).status).toBe(200);
  });

  test("the server's own syt_ tokens mean nothing with delegation on", async () => {
    const local = await s.server.hs.services.accessTokens.issue("@alice:test.local", "ALICEDEV");
    const res = await authed(s, local);
    expect(res.status).toBe(401);
    expect(s.mas.calls.at(-1)!.token).toBe(local);
  });

  test("the shared secret is not an access token on the client API", async () => {
    const res = await authed(s, "shared_secret");
    expect(res.status).toBe(401);
  });

  test("introspections are measured with code and server_name; the cache reports hits", async () => {
    const text = await metricsRegistry.getSingleMetricAsString("synapse_api_auth_delegated_introspection_response");
    expect(text).toMatch(/synapse_api_auth_delegated_introspection_response_count\{code="200",server_name="test.local"\} [1-9]/);
    expect(text).toMatch(/code="500",server_name="test.local"/);
    const hits = await metricsRegistry.getSingleMetricAsString("synapse_util_caches_response_cache_hits");
    expect(hits).toMatch(/synapse_util_caches_response_cache_hits\{name="mas_token_introspection",server_name="test.local"\} [1-9]/);
  });
});

describe("MAS unreachable", () => {
  test("connection refused gives 503 and a log line", async () => {
    const s = await startMasSetup();
    try {
      const token = await s.userWithToken("lonely");
      await s.mas.stop();
      capturedLogs.length = 0;
      const res = await authed(s, token);
      expect(res.status).toBe(503);
      expect(res.body.errcode).toBe("M_UNKNOWN");
      expect(capturedLogs.some((r) => r.level === "error")).toBe(true);
    } finally {
      await s.stop();
    }
  });
});

describe("expiry", () => {
  test("a cached token past its expires_in is refused without asking MAS again", async () => {
    const clock = new FakeClock();
    const s = await startMasSetup({ clock });
    try {
      const token = await s.userWithToken("shortlived", { extra: { expires_in: 60 } });
      expect((await authed(s, token)).status).toBe(200);
      await clock.advance(59_000);
      expect((await authed(s, token)).status).toBe(200);
      await clock.advance(1_000);
      const res = await authed(s, token);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("Token is not active");
      expect(s.mas.calls.filter((c) => c.token === token)).toHaveLength(1);
    } finally {
      await s.stop();
    }
  });

  test("after two minutes the answer is fetched again", async () => {
    const clock = new FakeClock();
    const s = await startMasSetup({ clock });
    try {
      const token = await s.userWithToken("revoked");
      expect((await authed(s, token)).status).toBe(200);
      s.mas.tokens.set(token, { active: false });
      expect((await authed(s, token)).status).toBe(200); // still cached
      await clock.advance(120_000);
      expect((await authed(s, token)).status).toBe(401);
      expect(s.mas.calls.filter((c) => c.token === token)).toHaveLength(2);
    } finally {
      await s.stop();
    }
  });
});

describe("auth metadata", () => {
  test("served from MAS's discovery document, fetched once, with Synapse's cache header", async () => {
    const s = await startMasSetup({ subPath: "auth/path" });
    try {
      s.mas.metadata = { grant_types_supported: ["authorization_code"] };
      for (const path of ["/_matrix/client/v1/auth_metadata", "/_matrix/client/unstable/auth_metadata", "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata"]) {
        const res = await s.server.request("GET", path);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          issuer: s.mas.endpoint,
          account_management_uri: `${s.mas.endpoint}account/`,
          authorization_endpoint: `${s.mas.endpoint}authorize`,
          grant_types_supported: ["authorization_code"],
        });
        expect(res.headers.get("cache-control")).toBe("public, max-age=600, s-maxage=3600, stale-while-revalidate=600");
      }
      const issuer = await s.server.request("GET", "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer");
      expect(issuer.body).toEqual({ issuer: s.mas.endpoint });
      const wk = await s.server.request("GET", "/.well-known/matrix/client");
      expect(wk.body).toEqual({
        "m.homeserver": { base_url: "http://test.local/" },
        "org.matrix.msc2965.authentication": { issuer: s.mas.endpoint, account: `${s.mas.endpoint}account/` },
      });
      await s.server.request("GET", "/.well-known/matrix/client");
      expect(s.mas.metadataCalls).toBe(1);
    } finally {
      await s.stop();
    }
  });

  test("a failed metadata fetch is 503, not kept, and retried", async () => {
    const s = await startMasSetup();
    try {
      s.mas.mode = "error500";
      const res = await s.server.request("GET", "/_matrix/client/v1/auth_metadata");
      expect(res.status).toBe(503);
      expect(res.body.errcode).toBe("M_UNKNOWN");
      s.mas.mode = "ok";
      expect((await s.server.request("GET", "/_matrix/client/v1/auth_metadata")).status).toBe(200);
      expect(s.mas.metadataCalls).toBe(2);
    } finally {
      await s.stop();
    }
  });
});

describe("delegation off", () => {
  test("no MAS endpoints, no auth metadata, no authentication key in .well-known", async () => {
    const server = await startTestHomeserver();
    try {
      for (const path of ["/_matrix/client/v1/auth_metadata", "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer", "/_synapse/mas/query_user?localpart=a"]) {
        const res = await server.request("GET", path, { token: "shared_secret" });
        expect(res.status).toBe(404);
        expect(res.body.errcode).toBe("M_UNRECOGNIZED");
      }
      const wk = await server.request("GET", "/.well-known/matrix/client");
      expect(wk.body["org.matrix.msc2965.authentication"]).toBeUndefined();
      expect(server.hs.services.masEnabled).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
