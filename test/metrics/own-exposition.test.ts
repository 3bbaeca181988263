// Hearth's collectors write their own text exposition (a scrape with 100 homeservers was
// mostly prom-client's label formatting); it must be exactly what prom-client writes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { ScrapeTimeCollector } from "../../src/observability/metrics/collector.ts";
import { metricsRegistry } from "../../src/observability/metrics/registry.ts";
import { ServerCounter, ServerHistogram } from "../../src/observability/metrics/server-histogram.ts";
import { scrapeMetrics } from "../../src/observability/metrics/exposition.ts";

let t: TestHomeserver;
beforeAll(async () => {
  t = await startTestHomeserver({ serverName: "own.metrics.test" });
});
afterAll(() => t.stop());

const promText = (name: string) => metricsRegistry.getSingleMetricAsString(name);

test("labels needing escapes, NaN and infinities are written as prom-client writes them", async () => {
  const h = new ServerHistogram({ name: "hearth_test_own_histogram", help: 'help with \\ and\nnewline "quoted"', labels: ["a", "b"], buckets: [0.005, 1, 2.5] });
  const c = new ServerCounter({ name: "hearth_test_own_total", help: "", labels: ["path"] });
  try {
    h.record(h.series("own.metrics.test", ['quote " here', "back\\slash\nnewline"]), 0.3);
    h.record(h.series("other.test", ["", "plain"]), 7);
    h.record(h.series("other.test", ["", "plain"]), 0.1 + 0.2);
    c.series("own.metrics.test", ["/x\"y"]).value = Number.NaN;
    c.series("other.test", ["z"]).value = Number.POSITIVE_INFINITY;
    for (const family of [h, c]) {
      const own = family.exposition();
      expect(own).toBe(await promText(family.name));
      // Written twice (the label text is kept between scrapes), still the same.
      expect(family.exposition()).toBe(own);
    }
    expect(h.exposition()).toContain('a="quote \\" here",b="back\\\\slash\\nnewline",server_name="own.metrics.test",le="0.005"} 0');
  } finally {
    h.removeServer("own.metrics.test");
    h.removeServer("other.test");
    c.removeServer("own.metrics.test");
    c.removeServer("other.test");
  }
});

test("every collector of a homeserver that served requests writes what prom-client writes", async () => {
  for (let i = 0; i < 3; i++) await fetch(`${t.baseUrl}/_matrix/client/versions`);
  await fetch(`${t.baseUrl}/_matrix/client/v3/account/whoami`);
  await scrapeMetrics();
  const own = metricsRegistry.getMetricsAsArray().filter((m) => (m as unknown) instanceof ScrapeTimeCollector) as unknown as ScrapeTimeCollector[];
  expect(own.length).toBeGreaterThan(10);
  for (const family of own) expect(family.exposition(), family.name).toBe(await promText(family.name));
});
