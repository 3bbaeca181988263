import type { Metric } from "./prom.ts";
import { metricsRegistry } from "./registry.ts";

export interface Sample {
  labels: Record<string, string | number>;
  value: number;
  /** For histogram families: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  metricName?: string;
}

/**
 * A metric family computed from scratch on every scrape (prom-client calls
 * `get()`), so it holds no series of its own that could outlive a homeserver.
 */
export abstract class ScrapeTimeCollector {
  readonly aggregator = "sum";

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "gauge" | "histogram" | "counter",
    readonly labelNames: readonly string[],
  ) {
    // registerMetric throws on a duplicate name: defining a family twice is a programming error.
    metricsRegistry.registerMetric(this as unknown as Metric);
  }

  protected abstract samples(): Sample[];

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }

  /** Part of prom-client's metric interface; nothing to reset. */
  reset(): void {}
}

/** Collectors that keep data per server_name, cleared when the last homeserver of that name stops. */
export const perServerCollectors = new Set<{ removeServer(serverName: string): void }>();
