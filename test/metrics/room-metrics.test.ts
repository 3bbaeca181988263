import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type TestHomeserver } from "../support/homeserver.ts";
import { startRoomsHomeserver, registerUsers, clientFor, enc, txn, type Account } from "../rooms/helpers.ts";
import { startRestartableHomeserver } from "../sync/restartable.ts";
import { scrapeMetrics } from "../../src/observability/metrics/exposition.ts";
import { find, parseExposition, sumOf, valueOf, type ParsedExposition } from "./exposition-parser.ts";

const scrape = async (): Promise<ParsedExposition> => parseExposition(await scrapeMetrics());

/** Scrapes until `ready` holds (the metric is fed by something still running), at most ~2 s. */
async function scrapeUntil(ready: (m: ParsedExposition) => boolean): Promise<ParsedExposition> {
  let m = await scrape();
  for (let i = 0; i < 400 && !ready(m); i++) {
    await Bun.sleep(5);
    m = await scrape();
  }
  return m;
}

const S = { server_name: "rooms.metrics.test" };
let t: TestHomeserver;
let alice: Account;
let bob: Account;
let roomId: string;

beforeAll(async () => {
  t = await startRoomsHomeserver({ serverName: S.server_name });
  [alice, bob] = await registerUsers(t, "alice", "bob");
  const created = await clientFor(t, alice)("POST", "/createRoom", { preset: "public_chat" });
  expect(created.status).toBe(200);
  roomId = created.body.room_id;
  expect((await clientFor(t, bob)("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
});
afterAll(() => t.stop());

describe("events persisted", () => {
  test("are counted in total and by tracked type, with the persisted position", async () => {
    const before = await scrape();
    const total0 = valueOf(before, "synapse_storage_events_persisted_events_total", S) ?? 0;
    const byType = (m: ParsedExposition, type: string) =>
      valueOf(m, "synapse_storage_events_persisted_events_sep_total", { ...S, type, origin_type: "local" }) ?? 0;
    expect(total0).toBeGreaterThan(0);
    // The room's creation: one create event, two joins, and state of untracked types.
    expect(byType(before, "m.room.create")).toBe(1);
    expect(byType(before, "m.room.member")).toBe(2);
    expect(byType(before, "*other*")).toBeGreaterThan(0);
    expect(sumOf(before, "synapse_storage_events_persisted_events_sep_total", S)).toBe(total0);

    const send = clientFor(t, alice);
    for (let i = 0; i < 5; i++) {
      expect((await send("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: `m${i}` })).status).toBe(200);
    }
    expect((await send("PUT", `/rooms/${enc(roomId)}/send/org.example.custom/${txn()}`, { x: 1 })).status).toBe(200);
    await t.hs.services.rooms.flush();
    await t.hs.services.notifier.flush();
    const after = await scrape();
    expect(valueOf(after, "synapse_storage_events_persisted_events_total", S)).toBe(total0 + 6);
    expect(byType(after, "m.room.message") - byType(before, "m.room.message")).toBe(5);
    // Custom types never become label values.
    expect(byType(after, "*other*") - byType(before, "*other*")).toBe(1);
    expect(find(after, "synapse_storage_events_persisted_events_sep_total", { type: "org.example.custom" })).toHaveLength(0);
    expect(valueOf(after, "synapse_event_persisted_position", S)).toBe(t.hs.services.notifier.position);
  });

  test("forward extremities: one per room for local events, reported per room", async () => {
    const m = await scrape();
    expect(valueOf(m, "synapse_forward_extremities_count", S)).toBe(1);
    expect(valueOf(m, "synapse_forward_extremities_bucket", { ...S, le: "1" })).toBe(1);
    expect(valueOf(m, "synapse_forward_extremities_sum", S)).toBe(1);
    const persisted = valueOf(m, "synapse_storage_events_forward_extremities_persisted_count", S)!;
    expect(persisted).toBeGreaterThan(0);
    expect(valueOf(m, "synapse_storage_events_forward_extremities_persisted_bucket", { ...S, le: "1" })).toBe(persisted);

    expect((await clientFor(t, bob)("POST", "/createRoom", {})).status).toBe(200);
    const m2 = await scrape();
    expect(valueOf(m2, "synapse_forward_extremities_count", S)).toBe(2);
    expect(valueOf(m2, "synapse_forward_extremities_bucket", { ...S, le: "+Inf" })).toBe(2);
  });
});

describe("caches", () => {
  test("the room head (current state) cache and the visibility cache report size, lookups and bound", async () => {
    expect((await clientFor(t, bob)("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=10`)).status).toBe(200);
    const m = await scrape();
    const heads = { ...S, name: "room_heads" };
    expect(valueOf(m, "synapse_util_caches_cache_size", heads)).toBe(2);
    expect(valueOf(m, "synapse_util_caches_cache_max_size", heads)).toBe(2000);
    const hits = valueOf(m, "synapse_util_caches_cache_hits", heads)!;
    expect(hits).toBeGreaterThan(0);
    expect(valueOf(m, "synapse_util_caches_cache", heads)).toBeGreaterThanOrEqual(hits);
    expect(valueOf(m, "synapse_util_caches_cache_evicted_size", { ...heads, reason: "size" })).toBe(0);
    const vis = { ...S, name: "history_visibility_facts" };
    expect(valueOf(m, "synapse_util_caches_cache_size", vis)).toBeGreaterThan(0);
    expect(valueOf(m, "synapse_util_caches_cache", vis)).toBeGreaterThan(0);

    // Every authenticated request above looked its token up.
    const tokens = { ...S, name: "get_user_by_access_token" };
    expect(valueOf(m, "synapse_util_caches_cache", tokens)).toBeGreaterThan(0);
    expect(valueOf(m, "synapse_util_caches_cache_max_size", tokens)).toBeGreaterThan(0);

    // Another send in the room is a lookup answered by the cache.
    expect((await clientFor(t, alice)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "x" })).status).toBe(200);
    expect(valueOf(await scrape(), "synapse_util_caches_cache_hits", heads)).toBeGreaterThan(hits);
  });
});

describe("notifier gauges", () => {
  test("count the listeners, rooms and users of a waiting /sync", async () => {
    const gauges = (m: ParsedExposition) => [
      valueOf(m, "synapse_notifier_listeners", S),
      valueOf(m, "synapse_notifier_rooms", S),
      valueOf(m, "synapse_notifier_users", S),
    ];
    expect(gauges(await scrape())).toEqual([0, 0, 0]);
    const first = await clientFor(t, bob)("GET", "/sync?timeout=0");
    expect(first.status).toBe(200);
    const waiting = clientFor(t, bob)("GET", `/sync?timeout=30000&since=${enc(first.body.next_batch)}`);
    const m = await scrapeUntil((x) => valueOf(x, "synapse_notifier_listeners", S) === 1);
    // One waiter (bob's), watching every room bob has joined.
    const joined = (await clientFor(t, bob)("GET", "/joined_rooms")).body.joined_rooms.length;
    expect(gauges(m)).toEqual([1, joined, 1]);

    expect((await clientFor(t, alice)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "wake" })).status).toBe(200);
    expect((await waiting).status).toBe(200);
    expect(gauges(await scrapeUntil((x) => valueOf(x, "synapse_notifier_listeners", S) === 0))).toEqual([0, 0, 0]);
  });
});

describe("scheduler tasks", () => {
  test("synapse_scheduler_running_tasks counts the admin tasks running in the background", async () => {
    let finish!: () => void;
    const task = t.hs.services.background.run("purge_history", () => new Promise<void>((r) => (finish = r)));
    const other = t.hs.services.background.run("not_a_scheduled_task", () => new Promise<void>((r) => setTimeout(r, 50)));
    expect(valueOf(await scrape(), "synapse_scheduler_running_tasks", S)).toBe(1);
    finish();
    await task;
    await other;
    expect(valueOf(await scrape(), "synapse_scheduler_running_tasks", S)).toBe(0);
  });
});

describe("storage timings", () => {
  test("schedule time per transaction and query time per statement, by verb", async () => {
    const m = await scrape();
    const scheduled = valueOf(m, "synapse_storage_schedule_time_count", S)!;
    expect(scheduled).toBeGreaterThan(0);
    // Every transaction waited for its connection once (nested ones join their outer one).
    const txns = sumOf(m, "synapse_storage_transaction_time_count_total", S);
    expect(scheduled).toBeLessThanOrEqual(txns);
    expect(scheduled).toBeGreaterThan(txns / 2);
    expect(valueOf(m, "synapse_storage_schedule_time_bucket", { ...S, le: "+Inf" })).toBe(scheduled);
    for (const verb of ["SELECT", "INSERT"]) {
      const n = valueOf(m, "synapse_storage_query_time_count", { ...S, verb })!;
      expect(n).toBeGreaterThan(0);
      expect(valueOf(m, "synapse_storage_query_time_bucket", { ...S, verb, le: "+Inf" })).toBe(n);
      expect(valueOf(m, "synapse_storage_query_time_sum", { ...S, verb })).toBeGreaterThan(0);
    }
    const verbs = new Set(find(m, "synapse_storage_query_time_count", S).map((s) => s.labels.verb));
    for (const v of verbs) expect(v).toMatch(/^[A-Z]+$/);

    const selects = valueOf(m, "synapse_storage_query_time_count", { ...S, verb: "SELECT" })!;
    expect((await clientFor(t, alice)("GET", "/joined_rooms")).status).toBe(200);
    expect(valueOf(await scrape(), "synapse_storage_query_time_count", { ...S, verb: "SELECT" })).toBeGreaterThan(selects);
  });
});

describe("forward extremities after a restart", () => {
  test("are read from the database at start", async () => {
    const r = await startRestartableHomeserver();
    try {
      const [carol] = await registerUsers(r, "carol");
      for (let i = 0; i < 3; i++) expect((await clientFor(r, carol!)("POST", "/createRoom", {})).status).toBe(200);
      await r.restart();
      const L = { server_name: "test.local" };
      const m = await scrapeUntil((x) => valueOf(x, "synapse_forward_extremities_count", L) !== undefined);
      expect(valueOf(m, "synapse_forward_extremities_count", L)).toBe(3);
      expect(valueOf(m, "synapse_forward_extremities_bucket", { ...L, le: "1" })).toBe(3);
    } finally {
      await r.stop();
    }
  });
});
