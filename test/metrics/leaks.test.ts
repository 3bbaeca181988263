import { describe, expect, test } from "bun:test";
import { startTestHomeserver } from "../support/homeserver.ts";
import { capturedLogs } from "../support/logs.ts";
import { beforeScrapeHookCount, scrapeMetrics } from "../../src/observability/metrics/exposition.ts";
import { laterGaugeHookCount } from "../../src/observability/metrics/later-gauge.ts";
import { registeredCacheCount } from "../../src/observability/metrics/cache-metrics.ts";
import { counter, purgeServerSeries, serverSeriesCount } from "../../src/observability/metrics/registry.ts";
import { liveMetricsScopes } from "../../src/observability/metrics/homeserver-metrics.ts";
import { forwardExtremities, userLogins, pyBool } from "../../src/observability/metrics/feature-metrics.ts";
import { parseExposition } from "./exposition-parser.ts";

interface Footprint {
  hooks: number;
  caches: number;
  scrapeHooks: number;
  series: number;
  scopes: number;
  scrapeLines: number;
  scrapeServerLines: number;
}

async function footprint(): Promise<Footprint> {
  const text = await scrapeMetrics();
  const parsed = parseExposition(text);
  return {
    hooks: laterGaugeHookCount(),
    caches: registeredCacheCount(),
    scrapeHooks: beforeScrapeHookCount(),
    series: serverSeriesCount(),
    scopes: liveMetricsScopes(),
    // Process-level samples (nodejs_*, process_*) may come and go with the runtime's state.
    scrapeLines: parsed.samples.filter((s) => s.name.startsWith("synapse_")).length,
    scrapeServerLines: parsed.samples.filter((s) => "server_name" in s.labels).length,
  };
}

/** Runs one homeserver through everything that registers metrics, stops it, and keeps only weak references. */
async function lifecycle(serverName: string): Promise<WeakRef<object>[]> {
  const t = await startTestHomeserver({ serverName });
  const hs = t.hs;
  expect((await t.request("GET", "/_matrix/client/versions")).status).toBe(200);
  expect((await t.request("GET", "/_matrix/client/v3/unknown")).status).toBe(404);
  await hs.services.background.run("leak_test_task", () => hs.services.database.transaction("leak_test_txn", async () => 1));
  hs.services.metrics.registerCache("leak_test_cache", () => ({ size: 3, hits: 1, misses: 1, maxSize: 10 }));
  userLogins.inc({ guest: pyBool(false), auth_provider: "", server_name: serverName });
  forwardExtremities.update(serverName, [1, 1, 2]);
  expect(parseExposition(await scrapeMetrics()).samples.some((s) => s.labels.server_name === serverName)).toBe(true);
  await t.stop();
  return [new WeakRef(hs), new WeakRef(hs.services), new WeakRef(hs.services.metrics), new WeakRef(hs.services.database)];
}

describe("create and stop 50 homeservers in one process", () => {
  test("hooks, collectors and series return to the baseline, and the instances can be collected", async () => {
    await (await startTestHomeserver({ serverName: "warmup.leak.test" })).stop();
    const baseline = await footprint();

    const refs: WeakRef<object>[][] = [];
    const names: string[] = [];
    for (let i = 0; i < 50; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) => `hs${i + j}.leak.test`);
      names.push(...batch);
      refs.push(...(await Promise.all(batch.map(lifecycle))));
    }

    const after = await footprint();
    expect(after).toEqual(baseline);
    const text = await scrapeMetrics();
    for (const name of names) expect(text.includes(name)).toBe(false);

    capturedLogs.length = 0;
    let collected = 0;
    for (let round = 0; round < 20 && collected < refs.length; round++) {
      Bun.gc(true);
      await Bun.sleep(10);
      collected = refs.filter((r) => r.every((w) => w.deref() === undefined)).length;
    }
    expect(collected).toBe(refs.length);
  }, 120_000);

  test("purging a server removes the series of counters defined anywhere", () => {
    const c = counter("hearth_test_purge_probe_total", "test", ["kind", "server_name"]);
    c.inc({ kind: "x", server_name: "purge.test" });
    c.inc({ kind: "y", server_name: "purge.test" });
    c.inc({ kind: "x", server_name: "other.test" });
    expect(purgeServerSeries("purge.test")).toBe(2);
    expect(Object.values((c as unknown as { hashMap: Record<string, { labels: { server_name: string } }> }).hashMap).map((e) => e.labels.server_name)).toEqual([
      "other.test",
    ]);
  });
});
