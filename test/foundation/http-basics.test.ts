import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";

let t: TestHomeserver;
beforeAll(async () => {
  t = await startTestHomeserver();
});
afterAll(() => t.stop());

describe("foundation endpoints", () => {
  test("GET /_matrix/client/versions lists spec versions", async () => {
    const r = await t.request("GET", "/_matrix/client/versions");
    expect(r.status).toBe(200);
    expect(r.body.versions).toContain("v1.12");
    expect(typeof r.body.unstable_features).toBe("object");
  });

  test("/.well-known/matrix/client points at public_baseurl", async () => {
    const r = await t.request("GET", "/.well-known/matrix/client");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ "m.homeserver": { base_url: "http://test.local/" } });
  });

  test("/.well-known/matrix/server is 404 unless serve_server_wellknown", async () => {
    const r = await t.request("GET", "/.well-known/matrix/server");
    expect(r.status).toBe(404);
    expect(r.body.errcode).toBe("M_UNRECOGNIZED");
  });

  test("/health answers OK", async () => {
    const r = await t.request("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.body).toBe("OK");
  });

  test("unknown paths under /_matrix and /_synapse are 404 M_UNRECOGNIZED", async () => {
    for (const path of ["/_matrix/client/v3/nonsense", "/_synapse/admin/v1/nothing", "/_matrix/foo"]) {
      const r = await t.request("GET", path);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
    }
  });

  test("a known path with the wrong method is 405 M_UNRECOGNIZED", async () => {
    const r = await t.request("POST", "/_matrix/client/versions", { body: {} });
    expect(r.status).toBe(405);
    expect(r.body.errcode).toBe("M_UNRECOGNIZED");
  });

  test("CORS headers on responses and OPTIONS preflight", async () => {
    const r = await t.request("GET", "/_matrix/client/versions");
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    const pre = await fetch(`${t.baseUrl}/_matrix/client/v3/login`, {
      method: "OPTIONS",
      headers: { origin: "https://app.element.io", "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(pre.headers.get("access-control-allow-headers")).toContain("Content-Type");
  });

  test("JSON answers, Matrix errors and plain-text answers all carry every CORS header", async () => {
    const answers = [
      await fetch(`${t.baseUrl}/_matrix/client/versions`),
      await fetch(`${t.baseUrl}/_matrix/client/v3/account/whoami`),
      await fetch(`${t.baseUrl}/health`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 200]);
    for (const a of answers) {
      expect(a.headers.get("access-control-allow-origin")).toBe("*");
      expect(a.headers.get("access-control-allow-methods")).toContain("PUT");
      expect(a.headers.get("access-control-allow-headers")).toContain("Authorization");
      expect(a.headers.get("access-control-expose-headers")).toBe("Retry-After");
    }
    const json = answers[0]!;
    const text = await json.text();
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(Number(json.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    expect(((await answers[1]!.json()) as { errcode: string }).errcode).toBe("M_MISSING_TOKEN");
    expect(await answers[2]!.text()).toBe("OK");
  });

  test("404 responses also carry CORS headers", async () => {
    const r = await t.request("GET", "/_matrix/client/v3/nonsense");
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
  });
});
