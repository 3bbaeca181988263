import { getLogger } from "@logtape/logtape";
import { ScrapeTimeCollector, type Sample } from "./collector.ts";
import { SERVER_NAME_LABEL } from "./registry.ts";
import { runInLogContext } from "../log-context.ts";

export type CacheType = "lru_cache" | "cache" | "response_cache" | "expiring";
export type EvictionReason = "size" | "time" | "invalidation";

/** What a cache reports on every scrape. */
export interface CacheStats {
  /** Current entries. */
  size: number;
  hits: number;
  misses: number;
  /** Evictions so far: a number counts as reason `size`. */
  evicted?: number | Partial<Record<EvictionReason, number>>;
  /** Emitted only when the cache has a bound. */
  maxSize?: number;
  /** Estimated memory, when the cache tracks it. */
  memoryBytes?: number;
}

interface Entry {
  serverName: string;
  name: string;
  type: CacheType;
  stats: () => CacheStats;
}

/** Registered caches by (server_name, `cache_<type>_<name>_<server_name>`). Process-wide, like the gauges. */
const caches = new Map<string, Entry>();

const log = () => getLogger(["hearth", "metrics"]);

/**
 * Every family of a scrape reads the same stats: prom-client starts all
 * families' get() in one synchronous pass, so a snapshot kept until the next
 * microtask calls each cache's hook once per scrape.
 */
let current: Array<{ entry: Entry; stats: CacheStats }> | undefined;

function snapshot(): Array<{ entry: Entry; stats: CacheStats }> {
  if (current) return current;
  const taken: Array<{ entry: Entry; stats: CacheStats }> = [];
  for (const entry of caches.values()) {
    try {
      taken.push({ entry, stats: entry.stats() });
    } catch (err) {
      // Synapse fails the whole scrape here; Hearth drops only this cache's samples.
      runInLogContext({ server_name: entry.serverName, request: "metrics" }, () =>
        log().warn("Error calculating metrics for {name}: {error}", { name: entry.name, error: err }),
      );
    }
  }
  current = taken;
  queueMicrotask(() => (current = undefined));
  return taken;
}

type Field = "size" | "hits" | "total" | "evicted" | "max" | "bytes";

class CacheGauge extends ScrapeTimeCollector {
  constructor(
    name: string,
    help: string,
    private readonly field: Field,
    private readonly responseCaches: boolean,
  ) {
    super(name, help, "gauge", field === "evicted" ? ["name", "reason", SERVER_NAME_LABEL] : ["name", SERVER_NAME_LABEL]);
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    for (const { entry, stats: s } of snapshot()) {
      if ((entry.type === "response_cache") !== this.responseCaches) continue;
      const labels = { name: entry.name, [SERVER_NAME_LABEL]: entry.serverName };
      switch (this.field) {
        case "size":
          out.push({ labels, value: s.size });
          break;
        case "hits":
          out.push({ labels, value: s.hits });
          break;
        case "total":
          out.push({ labels, value: s.hits + s.misses });
          break;
        case "evicted": {
          const by = typeof s.evicted === "number" ? { size: s.evicted } : (s.evicted ?? {});
          for (const [reason, value] of Object.entries(by)) out.push({ labels: { ...labels, reason }, value });
          break;
        }
        case "max":
          if (s.maxSize !== undefined) out.push({ labels, value: s.maxSize });
          break;
        case "bytes":
          if (s.memoryBytes !== undefined) out.push({ labels, value: s.memoryBytes });
          break;
      }
    }
    return out;
  }
}

const P = "synapse_util_caches_";
new CacheGauge(`${P}cache_size`, "Current number of entries in the cache", "size", false);
new CacheGauge(`${P}cache_hits`, "Cache hits", "hits", false);
new CacheGauge(`${P}cache`, "Cache lookups (hits + misses)", "total", false);
new CacheGauge(`${P}cache_evicted_size`, "Entries evicted from the cache, by reason", "evicted", false);
new CacheGauge(`${P}cache_max_size`, "Maximum number of entries of the cache", "max", false);
new CacheGauge(`${P}cache_size_bytes`, "Estimated memory used by the cache", "bytes", false);
new CacheGauge(`${P}response_cache_size`, "Current number of entries in the response cache", "size", true);
new CacheGauge(`${P}response_cache_hits`, "Response cache hits", "hits", true);
new CacheGauge(`${P}response_cache_evicted_size`, "Entries evicted from the response cache, by reason", "evicted", true);
new CacheGauge(`${P}response_cache`, "Response cache lookups (hits + misses)", "total", true);

/**
 * Reports a cache of `serverName` on every scrape as synapse_util_caches_*
 * {name, server_name}. Returns the function that unregisters it; a homeserver
 * registers through HomeserverMetrics.registerCache so stop() does this.
 * Registering the same (server, type, name) again replaces the earlier hook
 * and logs an error, as Synapse does.
 */
export function registerCacheMetrics(
  serverName: string,
  name: string,
  stats: () => CacheStats,
  opts: { type?: CacheType } = {},
): () => void {
  const type = opts.type ?? "lru_cache";
  const key = `${serverName}\u0000cache_${type}_${name}_${serverName}`;
  if (caches.has(key)) {
    runInLogContext({ server_name: serverName, request: "metrics" }, () =>
      log().error("Metric named {metric} already registered for server {server}", { metric: `cache_${type}_${name}_${serverName}`, server: serverName }),
    );
  }
  const entry: Entry = { serverName, name, type, stats };
  caches.set(key, entry);
  return () => {
    if (caches.get(key) === entry) caches.delete(key);
  };
}

/** Drops every cache hook of `serverName` (Synapse's shutdown path; HomeserverMetrics uses its own list). */
export function unregisterCacheMetricsForServer(serverName: string): void {
  for (const [key, entry] of caches) if (entry.serverName === serverName) caches.delete(key);
}

export function registeredCacheCount(): number {
  return caches.size;
}
