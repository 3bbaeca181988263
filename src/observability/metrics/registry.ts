import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "./prom.ts";
import { release, type } from "node:os";
import pkg from "../../../package.json" with { type: "json" };
import { CpuShare } from "./cpu-share.ts";

/**
 * The process-wide metrics state. Prometheus scrapes one exposition per
 * process, so the registry, the metric objects and the CPU attribution are
 * deliberately module-level, created once at load (as in Synapse). What one
 * homeserver adds (series, hooks, collectors) goes through its
 * HomeserverMetrics and is removed again when it stops.
 */
export const metricsRegistry = new Registry();

export const SERVER_NAME_LABEL = "server_name";

/** Python prometheus_client's default buckets, which Synapse's dashboards assume (+Inf is implicit). */
export const SYNAPSE_DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * Splits the event-loop thread's CPU time between the requests and background processes
 * running at the time. The thread's clock (getrusage RUSAGE_THREAD), as Synapse's log
 * contexts use: the process-wide one sums every thread under a kernel lock and stalls for
 * up to milliseconds while other threads run, which cost a third of the throughput of
 * small requests when read twice per request. Requests that begin or end within 1 ms of
 * the last reading share it: one system call for a batch released together, and for two
 * or three of a client's back-to-back requests (each reading ~3 µs of a ~400 µs send).
 * Linux reports a thread's user and system time in scheduler ticks, so a finer split
 * was never measured anyway.
 */
export const processCpuShare = new CpuShare(threadCpuClock(), { withinMs: 1, now: () => performance.now() });

function threadCpuClock(): () => { user: number; system: number } {
  // Not every platform build has it; the process clock is the fallback.
  return typeof process.threadCpuUsage === "function" ? () => process.threadCpuUsage() : () => process.cpuUsage();
}

// Process-level: no server_name (process_*, nodejs_* runtime metrics).
collectDefaultMetrics({ register: metricsRegistry });
// V8 heap spaces do not exist in Bun (JavaScriptCore): the emulation costs ~6 ms a scrape to report nothing useful.
for (const kind of ["total", "used", "available"]) metricsRegistry.removeSingleMetric(`nodejs_heap_space_size_${kind}_bytes`);

const buildInfo = new Gauge({
  name: "synapse_build_info",
  help: "Build information",
  labelNames: ["pythonversion", "version", "osversion", "rustcversion"],
  registers: [metricsRegistry],
});
buildInfo.set({ pythonversion: `Bun ${Bun.version}`, version: pkg.version, osversion: `${type()} ${release()}`, rustcversion: "" }, 1);

export const serverNameInfo = new Gauge({
  name: "synapse_server_name_info",
  help: "The server names of the homeservers running in this process",
  labelNames: [SERVER_NAME_LABEL],
  registers: [metricsRegistry],
});

type LabelledMetric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * Removes every series of `serverName` from the ordinary prom-client metrics
 * (collectors computed at scrape time keep no series of their own). Reads
 * prom-client's per-metric `hashMap`, the only way to enumerate label sets
 * without running collectors; test/metrics/leaks.test.ts fails if that changes.
 */
export function purgeServerSeries(serverName: string): number {
  let removed = 0;
  for (const metric of metricsRegistry.getMetricsAsArray() as unknown[]) {
    const m = metric as LabelledMetric & { labelNames?: string[]; hashMap?: Record<string, { labels: Record<string, string | number> }> };
    if (!m.hashMap || !m.labelNames?.includes(SERVER_NAME_LABEL)) continue;
    for (const entry of Object.values(m.hashMap)) {
      if (entry.labels[SERVER_NAME_LABEL] !== serverName) continue;
      m.remove(entry.labels);
      removed++;
    }
  }
  return removed;
}

/** How many series carry `server_name` (tests compare this against a baseline). */
export function serverSeriesCount(): number {
  let n = 0;
  for (const metric of metricsRegistry.getMetricsAsArray() as unknown[]) {
    const m = metric as { labelNames?: string[]; hashMap?: Record<string, unknown> };
    if (m.hashMap && m.labelNames?.includes(SERVER_NAME_LABEL)) n += Object.keys(m.hashMap).length;
  }
  return n;
}

/** Counter/Gauge/Histogram options with the registry filled in. prom-client refuses an empty help, which Synapse often has. */
export function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  if (!name.endsWith("_total")) throw new Error(`counter ${name} must be declared with its scraped _total name`);
  return new Counter({ name, help: help || name, labelNames, registers: [metricsRegistry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  return new Gauge({ name, help: help || name, labelNames, registers: [metricsRegistry] });
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[] = SYNAPSE_DEFAULT_BUCKETS,
): Histogram<L> {
  return new Histogram({ name, help: help || name, labelNames, buckets, registers: [metricsRegistry] });
}
