import { getLogger } from "@logtape/logtape";
import { Registry } from "./prom.ts";
import { metricsRegistry } from "./registry.ts";
import { ScrapeTimeCollector } from "./collector.ts";

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Functions run just before each scrape to bring counters up to date
 * (in-flight requests, running background processes). Process-wide, like the
 * registry; each homeserver adds its own and removes them when it stops.
 */
const beforeScrapeHooks = new Set<() => void>();

const log = () => getLogger(["hearth", "metrics"]);

export function addBeforeScrapeHook(fn: () => void): () => void {
  beforeScrapeHooks.add(fn);
  return () => beforeScrapeHooks.delete(fn);
}

export function beforeScrapeHookCount(): number {
  return beforeScrapeHooks.size;
}

/** The text exposition (format 0.0.4) of every metric in the process, except names starting with `__`. */
export async function scrapeMetrics(): Promise<string> {
  for (const fn of beforeScrapeHooks) {
    try {
      fn();
    } catch (err) {
      log().warn("Error updating metrics before a scrape: {error}", { error: err });
    }
  }
  const families = metricsRegistry.getMetricsAsArray().filter((m) => !m.name.startsWith("__"));
  // All families are read in one pass, as prom-client's own metrics() does.
  const texts = await Promise.all(
    families.map(async (m) => {
      try {
        // Hearth's own collectors write themselves; prom-client writes its metrics.
        const own = m as unknown;
        return own instanceof ScrapeTimeCollector ? own.exposition() : await metricsRegistry.getSingleMetricAsString(m.name);
      } catch (err) {
        log().warn("Error collecting metric {name}: {error}", { name: m.name, error: err });
        return "";
      }
    }),
  );
  return `${texts.filter(Boolean).join("\n\n")}\n`;
}
