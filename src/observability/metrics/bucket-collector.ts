import { perServerCollectors, ScrapeTimeCollector, type Sample } from "./collector.ts";
import { SERVER_NAME_LABEL } from "./registry.ts";

/**
 * Synapse's GaugeBucketCollector: a histogram whose buckets are gauges,
 * replaced wholesale by each update (e.g. "rooms with at most N forward
 * extremities", recomputed periodically from the database). Synapse keeps
 * one data set per process, so with several homeservers the last update
 * wins; Hearth keeps one per server_name.
 */
export class GaugeBucketCollector extends ScrapeTimeCollector {
  readonly #bounds: number[];
  readonly #byServer = new Map<string, { buckets: number[]; sum: number }>();

  constructor(opts: { name: string; help: string; buckets: number[] }) {
    super(opts.name, opts.help, "histogram", [SERVER_NAME_LABEL]);
    const bounds = [...opts.buckets];
    if (bounds.some((b, i) => i > 0 && b < bounds[i - 1]!)) throw new Error("Buckets not in sorted order");
    if (bounds.at(-1) !== Infinity) bounds.push(Infinity);
    this.#bounds = bounds;
    perServerCollectors.add(this);
  }

  /** Replaces the data of `serverName` with these measurements. */
  update(serverName: string, values: Iterable<number>): void {
    const counts = this.#bounds.map(() => 0);
    let sum = 0;
    for (const v of values) {
      const i = this.#bounds.findIndex((b) => v <= b);
      counts[i]!++;
      sum += v;
    }
    let acc = 0;
    this.#byServer.set(serverName, { buckets: counts.map((c) => (acc += c)), sum });
  }

  removeServer(serverName: string): void {
    this.#byServer.delete(serverName);
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    for (const [serverName, data] of this.#byServer) {
      const s = { [SERVER_NAME_LABEL]: serverName };
      this.#bounds.forEach((b, i) => {
        out.push({ metricName: `${this.name}_bucket`, labels: { le: b === Infinity ? "+Inf" : b, ...s }, value: data.buckets[i]! });
      });
      out.push({ metricName: `${this.name}_sum`, labels: s, value: data.sum });
      out.push({ metricName: `${this.name}_count`, labels: s, value: data.buckets.at(-1)! });
    }
    return out;
  }
}
