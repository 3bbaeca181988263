import { perServerCollectors, ScrapeTimeCollector, type Sample } from "./collector.ts";
import { SERVER_NAME_LABEL, SYNAPSE_DEFAULT_BUCKETS } from "./registry.ts";

interface Series {
  /** Per bucket (not cumulative); the last one is +Inf. */
  counts: number[];
  sum: number;
}

/**
 * A histogram for hot paths (one observation per SQL statement): an
 * observation is a map lookup, a short bucket scan and two additions, where
 * a prom-client Histogram hashes its label object every time. Series are kept
 * per server_name, with at most one more label, and dropped when the last
 * homeserver of that name stops.
 */
export class ServerHistogram extends ScrapeTimeCollector {
  readonly #bounds: number[];
  readonly #label: string | undefined;
  readonly #byServer = new Map<string, Map<string, Series>>();

  constructor(opts: { name: string; help: string; label?: string; buckets?: number[] }) {
    super(opts.name, opts.help, "histogram", opts.label ? [opts.label, SERVER_NAME_LABEL] : [SERVER_NAME_LABEL]);
    const bounds = (opts.buckets ?? SYNAPSE_DEFAULT_BUCKETS).filter((b) => b !== Infinity);
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error("Buckets not in sorted order");
    this.#bounds = bounds;
    this.#label = opts.label;
    perServerCollectors.add(this);
  }

  /** Records `value` for `serverName` (and the extra label's value, "" when the histogram has none). */
  observe(serverName: string, value: number, labelValue = ""): void {
    let byLabel = this.#byServer.get(serverName);
    if (!byLabel) this.#byServer.set(serverName, (byLabel = new Map()));
    let series = byLabel.get(labelValue);
    if (!series) byLabel.set(labelValue, (series = { counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0 }));
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
  }

  removeServer(serverName: string): void {
    this.#byServer.delete(serverName);
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    for (const [serverName, byLabel] of this.#byServer) {
      for (const [labelValue, series] of byLabel) {
        const labels: Record<string, string> = this.#label
          ? { [this.#label]: labelValue, [SERVER_NAME_LABEL]: serverName }
          : { [SERVER_NAME_LABEL]: serverName };
        let acc = 0;
        series.counts.forEach((c, i) => {
          acc += c;
          const le = i < this.#bounds.length ? this.#bounds[i]! : "+Inf";
          out.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: acc });
        });
        out.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
        out.push({ metricName: `${this.name}_count`, labels, value: acc });
      }
    }
    return out;
  }
}
