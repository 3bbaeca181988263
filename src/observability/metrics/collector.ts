import type { Metric } from "./prom.ts";
import { metricsRegistry } from "./registry.ts";
import promUtil from "prom-client/lib/util";

/** prom-client's own sample value formatting (NaN, ±Inf), so both writers agree. */
export const formatValue = (promUtil as { getValueAsString(value: number): string }).getValueAsString;

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value as the text format writes it (prom-client's escaping; most values need none). */
export function escapeLabelValue(value: string | number): string {
  if (typeof value !== "string") return String(value);
  return NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"') : value;
}

/** `a="x",b="y"`: the labels between the braces of a sample line. */
export function formatLabels(labels: Record<string, string | number>): string {
  let out = "";
  for (const name in labels) out += `${out === "" ? "" : ","}${name}="${escapeLabelValue(labels[name]!)}"`;
  return out;
}

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

  /**
   * The family in the text format, exactly as prom-client's registry writes it, without
   * its per-label regular expressions: with 100 homeservers a scrape writes ~20,000
   * lines, and prom-client's formatting was most of its time.
   */
  exposition(): string {
    let out = this.header();
    for (const s of this.samples()) {
      const labels = formatLabels(s.labels);
      out += `\n${s.metricName ?? this.name}${labels === "" ? "" : `{${labels}}`} ${formatValue(s.value)}`;
    }
    return out;
  }

  protected header(): string {
    return `# HELP ${escapeText(this.name)} ${escapeText(this.help)}\n# TYPE ${escapeText(this.name)} ${this.type}`;
  }

  /** Part of prom-client's metric interface; nothing to reset. */
  reset(): void {}
}

/** Collectors that keep data per server_name, cleared when the last homeserver of that name stops. */
export const perServerCollectors = new Set<{ removeServer(serverName: string): void }>();

function escapeText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
