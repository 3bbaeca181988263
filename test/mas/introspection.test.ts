import { afterAll, describe, expect, test } from "bun:test";
import { FakeClock, createRealClock } from "../../src/observability/clock.ts";
import { acceptIntrospection, parseScopes } from "../../src/mas/acceptance.ts";
import { IntrospectionClient, IntrospectionFailure, parseIntrospectionResponse, type IntrospectionResult } from "../../src/mas/introspection.ts";
import { ResponseCache } from "../../src/mas/introspection-cache.ts";
import { MasMetadata } from "../../src/mas/metadata.ts";
import type { MasSettings } from "../../src/mas/config.ts";
import { MatrixError } from "../../src/http/errors.ts";
import { startFakeMas, STABLE_API, UNSTABLE_API, ADMIN, deviceScope } from "./fake-mas.ts";

const NOW = 1_700_000_000_000;
const result = (r: Partial<IntrospectionResult>): IntrospectionResult => ({ active: true, retrievedAtMs: NOW, ...r });

describe("acceptance rules", () => {
  test("an active token with the stable or unstable API scope maps to the local user", () => {
    for (const api of [STABLE_API, UNSTABLE_API]) {
      const a = acceptIntrospection(result({ scope: `openid ${api}`, username: "alice" }), NOW, "example.org");
      expect(a).toMatchObject({ ok: true, userId: "@alice:example.org", deviceId: null, isAdmin: false });
    }
  });

  test("inactive, expired and scope-less tokens are refused", () => {
    expect(acceptIntrospection(result({ active: false }), NOW, "x")).toMatchObject({ ok: false, reason: "inactive" });
    const expiring = result({ scope: STABLE_API, username: "a", expiresIn: 60 });
    expect(acceptIntrospection(expiring, NOW + 59_999, "x").ok).toBe(true);
    expect(acceptIntrospection(expiring, NOW + 60_000, "x")).toMatchObject({ ok: false, reason: "expired" });
    // No expires_in: MAS compatibility tokens never expire from our side.
    expect(acceptIntrospection(result({ scope: STABLE_API, username: "a" }), NOW + 10 ** 10, "x").ok).toBe(true);
    expect(acceptIntrospection(result({ scope: "openid email", username: "a" }), NOW, "x")).toMatchObject({ ok: false, reason: "no_api_scope" });
  });

  test("device from device_id, else from one device scope (stable or unstable)", () => {
    const viaField = result({ scope: `${STABLE_API} ${deviceScope("SCOPEDEV")}`, username: "a", deviceId: "FIELDDEV" });
    expect(acceptIntrospection(viaField, NOW, "x")).toMatchObject({ ok: true, deviceId: "FIELDDEV" });
    for (const unstable of [false, true]) {
      const viaScope = result({ scope: `${STABLE_API} ${deviceScope("ABC", unstable)}`, username: "a" });
      expect(acceptIntrospection(viaScope, NOW, "x")).toMatchObject({ ok: true, deviceId: "ABC" });
    }
    // The same device under both prefixes is one device.
    const both = result({ scope: `${STABLE_API} ${deviceScope("ABC")} ${deviceScope("ABC", true)}`, username: "a" });
    expect(acceptIntrospection(both, NOW, "x")).toMatchObject({ ok: true, deviceId: "ABC" });
  });

  test("claims this server cannot map are 'misconfigured'", () => {
    const two = result({ scope: `${STABLE_API} ${deviceScope("A")} ${deviceScope("B")}`, username: "a" });
    expect(acceptIntrospection(two, NOW, "x")).toMatchObject({ ok: false, reason: "misconfigured", detail: "Multiple device IDs in scope" });
    expect(acceptIntrospection(result({ scope: STABLE_API }), NOW, "x")).toMatchObject({ ok: false, reason: "misconfigured" });
    const long = result({ scope: STABLE_API, username: "a", deviceId: "D".repeat(256) });
    expect(acceptIntrospection(long, NOW, "x")).toMatchObject({ ok: false, reason: "misconfigured" });
    expect(acceptIntrospection(result({ scope: STABLE_API, username: "a", deviceId: "" }), NOW, "x")).toMatchObject({ ok: false, reason: "misconfigured" });
  });

  test("the admin scope makes a server admin, but still needs the API scope", () => {
    expect(acceptIntrospection(result({ scope: `${STABLE_API} ${ADMIN}`, username: "a" }), NOW, "x")).toMatchObject({ ok: true, isAdmin: true });
    expect(acceptIntrospection(result({ scope: ADMIN, username: "a" }), NOW, "x")).toMatchObject({ ok: false, reason: "no_api_scope" });
  });

  test("scopes split on single spaces, empty items dropped", () => {
    expect([...parseScopes("  a  b ")]).toEqual(["a", "b"]);
    expect(parseScopes(undefined).size).toBe(0);
  });

  test("the response schema is strict about types and ignores extra fields", () => {
    expect(parseIntrospectionResponse({ active: true, extra: 1, scope: "s" }, NOW)).toMatchObject({ active: true, scope: "s" });
    expect(() => parseIntrospectionResponse({}, NOW)).toThrow(/active/);
    expect(() => parseIntrospectionResponse({ active: "true" }, NOW)).toThrow();
    expect(() => parseIntrospectionResponse({ active: true, expires_in: "60" }, NOW)).toThrow();
    expect(() => parseIntrospectionResponse({ active: true, expires_in: 1.5 }, NOW)).toThrow();
    expect(() => parseIntrospectionResponse([], NOW)).toThrow();
  });
});

describe("ResponseCache", () => {
  test("concurrent lookups of one key share one load; the answer is kept for the TTL", async () => {
    const clock = new FakeClock();
    const cache = new ResponseCache<number>(clock, { ttlMs: 120_000, maxEntries: 10 });
    let loads = 0;
    let release!: (n: number) => void;
    const load = () => {
      loads++;
      return new Promise<number>((r) => (release = r));
    };
    const a = cache.get("k", load);
    const b = cache.get("k", load);
    release(7);
    expect(await a).toEqual({ value: 7, outcome: "miss" });
    expect(await b).toEqual({ value: 7, outcome: "shared" });
    expect(await cache.get("k", load)).toEqual({ value: 7, outcome: "hit" });
    expect(loads).toBe(1);
    await clock.advance(119_999);
    expect((await cache.get("k", load)).outcome).toBe("hit");
    await clock.advance(1);
    const again = cache.get("k", load);
    release(8);
    expect(await again).toEqual({ value: 8, outcome: "miss" });
    expect(loads).toBe(2);
  });

  test("a failed load is not kept, and everyone waiting gets the error", async () => {
    const cache = new ResponseCache<number>(new FakeClock(), { ttlMs: 1000, maxEntries: 10 });
    let fail!: (e: Error) => void;
    const p1 = cache.get("k", () => new Promise<number>((_, rej) => (fail = rej)));
    const p2 = cache.get("k", () => Promise.resolve(99));
    const settled = Promise.allSettled([p1, p2]);
    fail(new Error("down"));
    const [r1, r2] = await settled;
    expect(r1).toMatchObject({ status: "rejected", reason: new Error("down") });
    expect(r2).toMatchObject({ status: "rejected", reason: new Error("down") });
    expect(cache.size).toBe(0);
    expect(await cache.get("k", () => Promise.resolve(1))).toEqual({ value: 1, outcome: "miss" });
  });

  test("bounded: the least recently used entry goes first", async () => {
    const cache = new ResponseCache<string>(new FakeClock(), { ttlMs: 60_000, maxEntries: 2 });
    await cache.get("a", async () => "a");
    await cache.get("b", async () => "b");
    await cache.get("a", async () => "a2"); // touch a
    await cache.get("c", async () => "c");
    expect(cache.size).toBe(2);
    expect((await cache.get("a", async () => "a3")).outcome).toBe("hit");
    expect((await cache.get("b", async () => "b2")).outcome).toBe("miss");
  });

  test("evict forgets one entry", async () => {
    const cache = new ResponseCache<string>(new FakeClock(), { ttlMs: 60_000, maxEntries: 2 });
    await cache.get("a", async () => "a");
    cache.evict("a");
    expect((await cache.get("a", async () => "a")).outcome).toBe("miss");
  });
});

describe("IntrospectionClient against a fake MAS", () => {
  const mas = startFakeMas({ secret: "the-secret", subPath: "auth/path" });
  afterAll(() => mas.stop());
  const settings = (): MasSettings => {
    const endpoint = mas.endpoint.replace(/\/$/, "");
    return {
      endpoint,
      introspectionUrl: `${endpoint}/oauth2/introspect`,
      metadataUrl: `${endpoint}/.well-known/openid-configuration`,
      secret: "the-secret",
      forceHttp2: false,
    };
  };
  const codes: string[] = [];
  const client = (clock = createRealClock("test")) =>
    new IntrospectionClient({ settings: settings(), clock, userAgent: "Hearth/test", onResponse: (code) => codes.push(code) });

  test("sends the form, the shared secret and X-MAS-Supports-Device-Id, under the sub-path", async () => {
    mas.mode = "ok";
    mas.tokens.set("tok+/=&", { active: true, scope: STABLE_API, username: "alice", device_id: "DEV", expires_in: 300 });
    const r = await client().introspect("tok+/=&");
    expect(r).toMatchObject({ active: true, username: "alice", deviceId: "DEV", expiresIn: 300 });
    const call = mas.calls.at(-1)!;
    expect(call).toMatchObject({
      token: "tok+/=&",
      tokenTypeHint: "access_token",
      authorization: "Bearer the-secret",
      contentType: "application/x-www-form-urlencoded",
      accept: "application/json",
      supportsDeviceId: "1",
      userAgent: "Hearth/test",
      path: "/auth/path/oauth2/introspect",
    });
    expect(codes.at(-1)).toBe("200");
  });

  test("non-2xx, non-JSON, bad schema and over-1-MiB answers are failures", async () => {
    for (const [mode, code] of [["error500", "500"], ["garbage", "200"], ["huge", "200"]] as const) {
      mas.mode = mode;
      await expect(client().introspect("t")).rejects.toBeInstanceOf(IntrospectionFailure);
      expect(codes.at(-1)).toBe(code);
    }
    mas.mode = "ok";
    mas.tokens.set("schema", { active: "yes" });
    await expect(client().introspect("schema")).rejects.toThrow(/active/);
  });

  test("connection refused is a failure labelled ERR", async () => {
    const dead = new IntrospectionClient({
      settings: { ...settings(), introspectionUrl: "http://127.0.0.1:1/oauth2/introspect" },
      clock: createRealClock("test"),
      userAgent: "x",
      onResponse: (code) => codes.push(code),
    });
    await expect(dead.introspect("t")).rejects.toBeInstanceOf(IntrospectionFailure);
    expect(codes.at(-1)).toBe("ERR");
  });

  test("a MAS that does not answer times out on the homeserver's clock", async () => {
    const clock = new FakeClock();
    mas.mode = "hang";
    const before = mas.calls.length;
    const pending = client(clock).introspect("t");
    const settled = pending.then(() => "resolved", (e: Error) => e.message);
    // Let the request reach the fake before moving time.
    while (mas.calls.length === before) await Bun.sleep(5);
    await clock.advance(10_000);
    expect(await settled).toMatch(/timed out/);
    mas.release();
    mas.mode = "ok";
  });
});

describe("MasMetadata", () => {
  test("fetched once and kept; a failure is not kept; required fields are checked", async () => {
    const mas = startFakeMas();
    try {
      const endpoint = mas.endpoint.replace(/\/$/, "");
      const settings: MasSettings = {
        endpoint,
        introspectionUrl: `${endpoint}/oauth2/introspect`,
        metadataUrl: `${endpoint}/.well-known/openid-configuration`,
        secret: "s",
        forceHttp2: false,
      };
      const md = new MasMetadata({ settings, clock: createRealClock("t"), userAgent: "x" });
      mas.mode = "error500";
      const err = await md.get().catch((e) => e);
      expect(err).toBeInstanceOf(MatrixError);
      expect((err as MatrixError).status).toBe(503);
      mas.mode = "ok";
      mas.metadata = { account_management_uri: 42 };
      await expect(md.get()).rejects.toBeInstanceOf(MatrixError);
      mas.metadata = { extra_field: "kept" };
      const [a, b] = await Promise.all([md.get(), md.get()]);
      expect(a).toBe(b);
      expect(a).toMatchObject({ issuer: mas.endpoint, account_management_uri: `${mas.endpoint}account/`, extra_field: "kept" });
      await md.get();
      expect(mas.metadataCalls).toBe(3);
    } finally {
      await mas.stop();
    }
  });
});
