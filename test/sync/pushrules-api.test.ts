import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, startSyncHomeserver, sync, type Client } from "./helpers.ts";

let t: TestHomeserver;
let c: Client;
beforeAll(async () => {
  t = await startSyncHomeserver();
  const [alice] = await registerUsers(t, "alice");
  c = clientFor(t, alice!);
});
afterAll(() => t.stop());

const ids = (rules: Array<{ rule_id: string }>) => rules.map((r) => r.rule_id);

describe("push rules API", () => {
  test("GET /pushrules/ serves the complete default ruleset", async () => {
    const r = await c("GET", "/pushrules/");
    expect(r.status).toBe(200);
    const g = r.body.global;
    expect(ids(g.override)).toContain(".m.rule.master");
    expect(ids(g.override)).toContain(".m.rule.is_user_mention");
    expect(ids(g.underride)).toContain(".m.rule.message");
    expect(ids(g.underride)).toContain(".m.rule.encrypted");
    expect(g.room).toEqual([]);
    expect(g.sender).toEqual([]);
    expect((await c("GET", "/pushrules/global/")).body).toEqual(g);
    expect((await c("GET", "/pushrules/global/override/.m.rule.master")).body.enabled).toBe(false);
  });

  test("PUT with before/after orders user rules; GET, enabled, actions and DELETE", async () => {
    const put = (id: string, qs = "") => c("PUT", `/pushrules/global/room/${enc(id)}${qs}`, { actions: ["notify"] });
    expect((await put("!a:x")).status).toBe(200);
    expect((await put("!b:x")).status).toBe(200);
    expect((await put("!c:x", `?after=${enc("!a:x")}`)).status).toBe(200);
    expect((await put("!d:x", `?before=${enc("!b:x")}`)).status).toBe(200);
    // New rules without a position come first; c after a; d before b.
    expect(ids((await c("GET", "/pushrules/global/room")).body)).toEqual(["!d:x", "!b:x", "!a:x", "!c:x"]);
    expect((await put("!e:x", `?after=${enc("!nope:x")}`)).status).toBe(400);

    const one = await c("GET", `/pushrules/global/room/${enc("!a:x")}`);
    expect(one.body).toEqual({ rule_id: "!a:x", default: false, enabled: true, actions: ["notify"] });
    expect((await c("PUT", `/pushrules/global/room/${enc("!a:x")}/enabled`, { enabled: false })).status).toBe(200);
    expect((await c("GET", `/pushrules/global/room/${enc("!a:x")}/enabled`)).body).toEqual({ enabled: false });
    expect((await c("PUT", `/pushrules/global/room/${enc("!a:x")}/actions`, { actions: [] })).status).toBe(200);
    expect((await c("GET", `/pushrules/global/room/${enc("!a:x")}/actions`)).body).toEqual({ actions: [] });
    expect((await c("DELETE", `/pushrules/global/room/${enc("!a:x")}`)).status).toBe(200);
    expect((await c("GET", `/pushrules/global/room/${enc("!a:x")}`)).status).toBe(404);
    expect((await c("DELETE", `/pushrules/global/room/${enc("!a:x")}`)).status).toBe(404);
  });

  test("default rules can be disabled and their actions changed, not deleted", async () => {
    const path = "/pushrules/global/underride/.m.rule.message";
    expect((await c("PUT", `${path}/enabled`, { enabled: false })).status).toBe(200);
    expect((await c("GET", path)).body.enabled).toBe(false);
    expect((await c("PUT", `${path}/actions`, { actions: ["notify", { set_tweak: "sound", value: "ding" }] })).status).toBe(200);
    expect((await c("GET", `${path}/actions`)).body.actions).toEqual(["notify", { set_tweak: "sound", value: "ding" }]);
    expect((await c("DELETE", path)).status).toBe(404);
    expect((await c("GET", "/pushrules/global/underride/.m.rule.nonexistent")).status).toBe(404);
    expect((await c("PUT", "/pushrules/global/underride/.m.rule.nonexistent/enabled", { enabled: true })).status).toBe(404);
  });

  test("bad input: unknown kind, reserved ids, missing fields", async () => {
    expect((await c("PUT", "/pushrules/global/weird/x", { actions: [] })).status).toBe(400);
    expect((await c("PUT", "/pushrules/global/override/.mine", { actions: [] })).status).toBe(400);
    expect((await c("PUT", "/pushrules/global/content/x", { actions: [] })).body.errcode).toBe("M_MISSING_PARAM");
    expect((await c("PUT", "/pushrules/global/override/x", { actions: ["explode"] })).status).toBe(400);
    expect((await c("PUT", "/pushrules/global/override/x", { actions: [], pattern: "p" })).status).toBe(400);
    expect((await c("GET", "/pushrules/device/")).status).toBe(404);
  });

  test("a change reaches /sync as m.push_rules account data", async () => {
    const first = await sync(c);
    const waiting = sync(c, { since: first.next_batch, timeout: 10_000 });
    await Bun.sleep(20);
    await c("PUT", "/pushrules/global/content/cake", { pattern: "cake*", actions: ["notify"] });
    const body = await waiting;
    const ev = body.account_data.events.find((e: any) => e.type === "m.push_rules");
    expect(ids(ev.content.global.content)).toContain("cake");
  });
});
