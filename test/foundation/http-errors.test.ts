import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { createHttpApp } from "../../src/http/app.ts";
import { parseBody, nestedDeeperThan, MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH } from "../../src/http/body.ts";
import { MatrixError } from "../../src/http/errors.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { capturedLogs } from "../support/logs.ts";

function app() {
  const clock = new FakeClock("errors.test");
  const { app, router } = createHttpApp({
    serverName: "errors.test",
    clock,
    authenticate: async () => undefined,
  });
  const schema = v.object({ name: v.string(), count: v.optional(v.number()) });
  router.client("POST", "/echo", {}, async (c) => c.json(await parseBody(c, schema)));
  router.client("GET", "/boom", {}, () => {
    throw new Error("secret detail about the database");
  });
  router.client("GET", "/forbidden", {}, () => {
    throw new MatrixError(403, "M_FORBIDDEN", "no", { extra_field: 1 });
  });
  return (path: string, init?: RequestInit) => app.fetch(new Request(`http://x${path}`, init), {});
}

describe("errors at the edge", () => {
  const call = app();

  test("MatrixError becomes {errcode, error, ...extra}", async () => {
    const r = await call("/_matrix/client/v3/forbidden");
    expect(r.status).toBe(403);
    expect((await r.json()) as any).toEqual({ errcode: "M_FORBIDDEN", error: "no", extra_field: 1 });
  });

  test("an unexpected error is 500 M_UNKNOWN with the detail only in the log", async () => {
    capturedLogs.length = 0;
    const r = await call("/_matrix/client/r0/boom");
    expect(r.status).toBe(500);
    const body = (await r.json()) as any;
    expect(body.errcode).toBe("M_UNKNOWN");
    expect(JSON.stringify(body)).not.toContain("secret detail");
    expect(capturedLogs.some((l) => String(l.properties.error).includes("secret detail"))).toBe(true);
  });

  test("non-JSON body is 400 M_NOT_JSON", async () => {
    const r = await call("/_matrix/client/v3/echo", { method: "POST", body: "{not json" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).errcode).toBe("M_NOT_JSON");
  });

  test("JSON that is not an object is 400 M_BAD_JSON", async () => {
    const r = await call("/_matrix/client/v3/echo", { method: "POST", body: "[1,2]" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).errcode).toBe("M_BAD_JSON");
  });

  test("missing and wrongly typed fields are named", async () => {
    let r = await call("/_matrix/client/v3/echo", { method: "POST", body: "{}" });
    expect(r.status).toBe(400);
    let body = (await r.json()) as any;
    expect(body.errcode).toBe("M_MISSING_PARAM");
    expect(body.error).toContain("name");
    r = await call("/_matrix/client/v3/echo", { method: "POST", body: JSON.stringify({ name: "a", count: "x" }) });
    body = (await r.json()) as any;
    expect(r.status).toBe(400);
    expect(body.errcode).toBe("M_INVALID_PARAM");
    expect(body.error).toContain("count");
  });

  test("a body over the limit is 413 M_TOO_LARGE", async () => {
    const big = JSON.stringify({ name: "x".repeat(MAX_JSON_BODY_BYTES) });
    const r = await call("/_matrix/client/v3/echo", { method: "POST", body: big });
    expect(r.status).toBe(413);
    expect(((await r.json()) as any).errcode).toBe("M_TOO_LARGE");
  });

  test("a body nested deeper than the limit is 400 M_BAD_JSON, not a stack overflow", async () => {
    // `n` levels: the object and n - 1 arrays.
    const deep = (n: number) => `{"name":"x","nest":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`;
    // The limit itself passes the reader (the schema ignores the extra field).
    const atLimit = await call("/_matrix/client/v3/echo", { method: "POST", body: deep(MAX_JSON_DEPTH) });
    expect(atLimit.status).toBe(200);
    for (const n of [MAX_JSON_DEPTH + 1, 50_000]) {
      const r = await call("/_matrix/client/v3/echo", { method: "POST", body: deep(n) });
      expect(r.status).toBe(400);
      expect(((await r.json()) as any).errcode).toBe("M_BAD_JSON");
    }
  });

  test("nesting is counted outside strings only", () => {
    expect(nestedDeeperThan('{"a":[[1]]}', 3)).toBe(false);
    expect(nestedDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
    expect(nestedDeeperThan(JSON.stringify({ s: "[[[[[[{{{{" }), 2)).toBe(false);
    expect(nestedDeeperThan(JSON.stringify({ s: 'quote \" [[[[[[' }), 2)).toBe(false);
    expect(nestedDeeperThan('[{"a":[]},{"b":[]},{"c":[]}]', 3)).toBe(false);
  });

  test("valid input passes through", async () => {
    const r = await call("/_matrix/client/v3/echo", { method: "POST", body: JSON.stringify({ name: "a", count: 2 }) });
    expect(r.status).toBe(200);
    expect((await r.json()) as any).toEqual({ name: "a", count: 2 });
  });
});
