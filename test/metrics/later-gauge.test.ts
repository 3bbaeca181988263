import { describe, expect, test } from "bun:test";
import { LaterGauge, laterGaugeHookCount, unregisterLaterGaugeHooks } from "../../src/observability/metrics/later-gauge.ts";
import { GaugeBucketCollector } from "../../src/observability/metrics/bucket-collector.ts";
import { registerCacheMetrics } from "../../src/observability/metrics/cache-metrics.ts";
import { scrapeMetrics } from "../../src/observability/metrics/exposition.ts";
import { gauge } from "../../src/observability/metrics/registry.ts";
import { capturedLogs } from "../support/logs.ts";
import { find, parseExposition, valueOf } from "./exposition-parser.ts";

const scrape = async () => parseExposition(await scrapeMetrics());

describe("LaterGauge", () => {
  const foo = new LaterGauge({ name: "hearth_test_later_foo", help: "test", labelNames: ["server_name"] });

  test("hooks of two instances give one family with both servers", async () => {
    foo.registerHook({ instanceId: "123", serverName: "hs1", hook: () => 1 });
    foo.registerHook({ instanceId: "456", serverName: "hs2", hook: () => [{ labels: { server_name: "hs2" }, value: 2 }] });
    try {
      const parsed = await scrape();
      expect(parsed.types.get("hearth_test_later_foo")).toBe("gauge");
      expect(valueOf(parsed, "hearth_test_later_foo", { server_name: "hs1" })).toBe(1);
      expect(valueOf(parsed, "hearth_test_later_foo", { server_name: "hs2" })).toBe(2);
    } finally {
      unregisterLaterGaugeHooks("123");
      unregisterLaterGaugeHooks("456");
    }
  });

  test("a throwing hook hides only its own samples and is logged", async () => {
    capturedLogs.length = 0;
    foo.registerHook({
      instanceId: "123",
      serverName: "hs1",
      hook: () => {
        throw new Error("boom");
      },
    });
    foo.registerHook({ instanceId: "456", serverName: "hs2", hook: () => 2 });
    try {
      const parsed = await scrape();
      expect(valueOf(parsed, "hearth_test_later_foo", { server_name: "hs1" })).toBeUndefined();
      expect(valueOf(parsed, "hearth_test_later_foo", { server_name: "hs2" })).toBe(2);
      const logged = capturedLogs.find((r) => String(r.rawMessage).startsWith("Exception running callback for LaterGauge"));
      expect(logged?.properties).toMatchObject({ name: "hearth_test_later_foo", instanceId: "123", server_name: "hs1" });
    } finally {
      unregisterLaterGaugeHooks("123");
      unregisterLaterGaugeHooks("456");
    }
  });

  test("a second hook for the same instance is an error; removing a missing hook is a no-op", () => {
    const before = laterGaugeHookCount();
    foo.registerHook({ instanceId: "789", serverName: "hs1", hook: () => 1 });
    expect(() => foo.registerHook({ instanceId: "789", serverName: "hs1", hook: () => 2 })).toThrow(/already registered/);
    unregisterLaterGaugeHooks("789");
    unregisterLaterGaugeHooks("789");
    expect(laterGaugeHookCount()).toBe(before);
  });

  test("a second gauge with the same name is an error", () => {
    expect(() => new LaterGauge({ name: "hearth_test_later_foo", help: "again", labelNames: ["server_name"] })).toThrow();
    gauge("hearth_test_plain_gauge", "test", ["server_name"]);
    expect(() => new LaterGauge({ name: "hearth_test_plain_gauge", help: "clash", labelNames: ["server_name"] })).toThrow();
  });
});

describe("GaugeBucketCollector", () => {
  test("cumulative buckets per server, replaced on update, removed with the server", async () => {
    const c = new GaugeBucketCollector({ name: "hearth_test_extremities", help: "test", buckets: [1, 2, 5] });
    c.update("hs1", [1, 1, 2, 7]);
    c.update("hs2", [3]);
    let parsed = await scrape();
    const buckets = find(parsed, "hearth_test_extremities_bucket", { server_name: "hs1" }).map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([["1", 2], ["2", 3], ["5", 3], ["+Inf", 4]]);
    expect(valueOf(parsed, "hearth_test_extremities_sum", { server_name: "hs1" })).toBe(11);
    expect(valueOf(parsed, "hearth_test_extremities_count", { server_name: "hs2" })).toBe(1);
    c.update("hs1", []);
    c.removeServer("hs2");
    parsed = await scrape();
    expect(valueOf(parsed, "hearth_test_extremities_count", { server_name: "hs1" })).toBe(0);
    expect(find(parsed, "hearth_test_extremities_bucket", { server_name: "hs2" })).toEqual([]);
  });
});

describe("cache metrics", () => {
  test("a cache with max 777 reports size and max_size; the hook runs once per scrape", async () => {
    let entries = 0;
    let calls = 0;
    const unregister = registerCacheMetrics("cachetest.hs", "getEvent", () => {
      calls++;
      return { size: entries, hits: 0, misses: 0, maxSize: 777 };
    });
    try {
      let parsed = await scrape();
      expect(valueOf(parsed, "synapse_util_caches_cache_size", { name: "getEvent", server_name: "cachetest.hs" })).toBe(0);
      expect(calls).toBe(1);
      entries = 1;
      parsed = await scrape();
      expect(valueOf(parsed, "synapse_util_caches_cache_size", { name: "getEvent", server_name: "cachetest.hs" })).toBe(1);
      expect(valueOf(parsed, "synapse_util_caches_cache_max_size", { name: "getEvent", server_name: "cachetest.hs" })).toBe(777);
    } finally {
      unregister();
    }
    expect(valueOf(await scrape(), "synapse_util_caches_cache_size", { name: "getEvent", server_name: "cachetest.hs" })).toBeUndefined();
  });

  test("response caches report under synapse_util_caches_response_cache_*; a throwing cache hides only itself", async () => {
    capturedLogs.length = 0;
    const offs = [
      registerCacheMetrics("cachetest.hs", "room_upgrade", () => ({ size: 2, hits: 3, misses: 1 }), { type: "response_cache" }),
      registerCacheMetrics("cachetest.hs", "broken", () => {
        throw new Error("no stats");
      }),
    ];
    try {
      const parsed = await scrape();
      const l = { name: "room_upgrade", server_name: "cachetest.hs" };
      expect(valueOf(parsed, "synapse_util_caches_response_cache_size", l)).toBe(2);
      expect(valueOf(parsed, "synapse_util_caches_response_cache", l)).toBe(4);
      expect(valueOf(parsed, "synapse_util_caches_cache_size", l)).toBeUndefined();
      expect(valueOf(parsed, "synapse_util_caches_cache_size", { name: "broken" })).toBeUndefined();
      expect(capturedLogs.some((r) => r.rawMessage === "Error calculating metrics for {name}: {error}" && r.properties.name === "broken")).toBe(true);
    } finally {
      for (const off of offs) off();
    }
  });

  test("registering the same cache again replaces it and logs an error", async () => {
    capturedLogs.length = 0;
    const first = registerCacheMetrics("cachetest.hs", "dup", () => ({ size: 1, hits: 0, misses: 0 }));
    const second = registerCacheMetrics("cachetest.hs", "dup", () => ({ size: 2, hits: 0, misses: 0 }));
    try {
      expect(capturedLogs.some((r) => String(r.rawMessage).startsWith("Metric named") && r.level === "error")).toBe(true);
      expect(valueOf(await scrape(), "synapse_util_caches_cache_size", { name: "dup", server_name: "cachetest.hs" })).toBe(2);
      first(); // the replaced registration's remover must not remove its successor
      expect(valueOf(await scrape(), "synapse_util_caches_cache_size", { name: "dup", server_name: "cachetest.hs" })).toBe(2);
    } finally {
      second();
    }
  });
});

describe("exposition", () => {
  test("metrics whose names start with __ are not exposed", async () => {
    gauge("__hearth_test_hidden", "hidden", []).set(1);
    expect((await scrapeMetrics()).includes("__hearth_test_hidden")).toBe(false);
  });
});
