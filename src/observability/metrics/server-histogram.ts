import { formatLabels, formatValue, perServerCollectors, ScrapeTimeCollector, type Sample } from "./collector.ts";
import { SERVER_NAME_LABEL, SYNAPSE_DEFAULT_BUCKETS } from "./registry.ts";

export interface HistogramSeries {
  /** Per bucket (not cumulative); the last one is +Inf. */
  counts: number[];
  sum: number;
}

export interface CounterSeries {
  value: number;
}

/**
 * Series kept per server_name and label values, for metrics on hot paths: a
 * prom-client metric hashes its label object on every update, here a caller
 * looks a series up once (or keeps it) and adds to it. Series are dropped when
 * the last homeserver of that name stops.
 */
interface SeriesEntry<T> {
  values: readonly string[];
  series: T;
  /** The series' labels as written between braces, made at its first scrape. */
  labelText?: string;
}

abstract class ServerSeriesFamily<T> extends ScrapeTimeCollector {
  readonly #labels: readonly string[];
  readonly #byServer = new Map<string, Map<string, SeriesEntry<T>>>();

  constructor(name: string, help: string, type: "histogram" | "counter", labels: readonly string[]) {
    super(name, help, type, [...labels, SERVER_NAME_LABEL]);
    this.#labels = labels;
    perServerCollectors.add(this);
  }

  protected abstract create(): T;
  protected abstract emit(out: Sample[], labels: Record<string, string>, series: T): void;
  /** The series' sample lines, each starting with a newline; `labelText` is never empty. */
  protected abstract write(labelText: string, series: T): string;

  /** The series of `serverName` with these label values (in the order the family declares them). */
  series(serverName: string, values: readonly string[]): T {
    return this.seriesByKey(serverName, values.length === 1 ? values[0]! : values.join("\u0000"), values);
  }

  /** `series` for a caller that already has the key (the values joined by NUL): no allocation once the series exists. */
  protected seriesByKey(serverName: string, key: string, values: readonly string[] | (() => readonly string[])): T {
    let byValues = this.#byServer.get(serverName);
    if (!byValues) this.#byServer.set(serverName, (byValues = new Map()));
    let entry = byValues.get(key);
    if (!entry) {
      const v = typeof values === "function" ? values() : [...values];
      byValues.set(key, (entry = { values: v, series: this.create() }));
    }
    return entry.series;
  }

  removeServer(serverName: string): void {
    this.#byServer.delete(serverName);
  }

  #labelsOf(serverName: string, values: readonly string[]): Record<string, string> {
    const labels: Record<string, string> = {};
    this.#labels.forEach((l, i) => (labels[l] = values[i]!));
    labels[SERVER_NAME_LABEL] = serverName;
    return labels;
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    for (const [serverName, byValues] of this.#byServer) {
      for (const { values, series } of byValues.values()) this.emit(out, this.#labelsOf(serverName, values), series);
    }
    return out;
  }

  /** As `samples` would be written, with each series' label text kept from scrape to scrape. */
  override exposition(): string {
    let out = this.header();
    for (const [serverName, byValues] of this.#byServer) {
      for (const entry of byValues.values()) {
        entry.labelText ??= formatLabels(this.#labelsOf(serverName, entry.values));
        out += this.write(entry.labelText, entry.series);
      }
    }
    return out;
  }
}

/** A histogram for hot paths (one observation per SQL statement, per request). */
export class ServerHistogram extends ServerSeriesFamily<HistogramSeries> {
  readonly #bounds: number[];
  readonly #single: boolean;

  constructor(opts: { name: string; help: string; label?: string; labels?: readonly string[]; buckets?: number[] }) {
    const labels = opts.labels ?? (opts.label ? [opts.label] : []);
    super(opts.name, opts.help, "histogram", labels);
    const bounds = (opts.buckets ?? SYNAPSE_DEFAULT_BUCKETS).filter((b) => b !== Infinity);
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error("Buckets not in sorted order");
    this.#bounds = bounds;
    this.#single = labels.length <= 1;
  }

  /** Records `value` for `serverName` (and the one extra label's value, "" when the histogram has none). */
  observe(serverName: string, value: number, labelValue = ""): void {
    if (!this.#single) throw new Error(`${this.name} has several labels: use series()`);
    this.record(this.seriesByKey(serverName, labelValue, () => [labelValue]), value);
  }

  /** Adds an observation to a series from `series()`. */
  record(series: HistogramSeries, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
  }

  protected create(): HistogramSeries {
    return { counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0 };
  }

  protected emit(out: Sample[], labels: Record<string, string>, series: HistogramSeries): void {
    // A histogram without labels keeps its one series under "": it has no label to show.
    let acc = 0;
    series.counts.forEach((c, i) => {
      acc += c;
      const le = i < this.#bounds.length ? this.#bounds[i]! : "+Inf";
      out.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: acc });
    });
    out.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
    out.push({ metricName: `${this.name}_count`, labels, value: acc });
  }

  protected write(labelText: string, series: HistogramSeries): string {
    let out = "";
    let acc = 0;
    for (let i = 0; i < series.counts.length; i++) {
      acc += series.counts[i]!;
      const le = i < this.#bounds.length ? this.#bounds[i]! : "+Inf";
      out += `\n${this.name}_bucket{${labelText},le="${le}"} ${formatValue(acc)}`;
    }
    return `${out}\n${this.name}_sum{${labelText}} ${formatValue(series.sum)}\n${this.name}_count{${labelText}} ${formatValue(acc)}`;
  }
}

/** A counter for hot paths; declared with its scraped `_total` name. */
export class ServerCounter extends ServerSeriesFamily<CounterSeries> {
  constructor(opts: { name: string; help: string; labels: readonly string[] }) {
    if (!opts.name.endsWith("_total")) throw new Error(`counter ${opts.name} must be declared with its scraped _total name`);
    super(opts.name, opts.help || opts.name, "counter", opts.labels);
  }

  protected create(): CounterSeries {
    return { value: 0 };
  }

  protected emit(out: Sample[], labels: Record<string, string>, series: CounterSeries): void {
    out.push({ labels, value: series.value });
  }

  protected write(labelText: string, series: CounterSeries): string {
    return `\n${this.name}{${labelText}} ${formatValue(series.value)}`;
  }
}
