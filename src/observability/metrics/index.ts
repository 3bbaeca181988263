/**
 * Hearth's Prometheus metrics (Synapse's names, each homeserver-level series
 * labelled with server_name). Feature code imports from here.
 */
export { metricsRegistry, processCpuShare, SERVER_NAME_LABEL, SYNAPSE_DEFAULT_BUCKETS, counter, gauge, histogram } from "./registry.ts";
export { LaterGauge, type LaterGaugeHook, type LaterGaugeSample } from "./later-gauge.ts";
export { registerCacheMetrics, type CacheStats, type CacheType, type EvictionReason } from "./cache-metrics.ts";
export { GaugeBucketCollector } from "./bucket-collector.ts";
export { measureBlock } from "./block-metrics.ts";
export { observeDbQuery, observeDbSchedule } from "./db-metrics.ts";
export { scrapeMetrics, METRICS_CONTENT_TYPE } from "./exposition.ts";
export type { HomeserverMetrics } from "./homeserver-metrics.ts";
export * from "./feature-metrics.ts";
export { ServerHistogram } from "./server-histogram.ts";
export { watchFeatures, countRateLimitRejections, type FeatureMetricSources } from "./feature-hooks.ts";
export * from "./presence-metrics.ts";
