import type * as Prom from "prom-client";
// Deep imports on purpose: prom-client's index also loads its Pushgateway
// (node:http, node:https, node:zlib) and the cluster aggregator, which add
// ~10 MB of RSS to the compiled binary for code Hearth never runs.
import RegistryImpl from "prom-client/lib/registry";
import CounterImpl from "prom-client/lib/counter";
import GaugeImpl from "prom-client/lib/gauge";
import HistogramImpl from "prom-client/lib/histogram";
import collectDefaultMetricsImpl from "prom-client/lib/defaultMetrics";

export const Registry = RegistryImpl as typeof Prom.Registry;
export const Counter = CounterImpl as typeof Prom.Counter;
export const Gauge = GaugeImpl as typeof Prom.Gauge;
export const Histogram = HistogramImpl as typeof Prom.Histogram;
export const collectDefaultMetrics = collectDefaultMetricsImpl as typeof Prom.collectDefaultMetrics;
export type Registry = Prom.Registry;
export type Counter<T extends string = string> = Prom.Counter<T>;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export type Histogram<T extends string = string> = Prom.Histogram<T>;
export type Metric = Prom.Metric;
