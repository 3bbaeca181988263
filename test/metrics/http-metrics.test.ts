import { describe, expect, test } from "bun:test";
import type { LiveRequest } from "../../src/http/app.ts";
import { HttpMetrics, inFlightRequestsGauge } from "../../src/observability/metrics/http-metrics.ts";
import { addBeforeScrapeHook, scrapeMetrics } from "../../src/observability/metrics/exposition.ts";
import { perServerCollectors } from "../../src/observability/metrics/collector.ts";
import { purgeServerSeries } from "../../src/observability/metrics/registry.ts";
import { parseExposition, valueOf } from "./exposition-parser.ts";

const S = { server_name: "inflight.test" };

describe("HTTP metrics of requests still running", () => {
  test("in-flight count, received counted once the servlet is known, in-flight usage brought up to date at scrape", async () => {
    const m = new HttpMetrics(S.server_name);
    const offScrape = addBeforeScrapeHook(() => m.beforeScrape());
    inFlightRequestsGauge.registerHook({ instanceId: "inflight-test", serverName: S.server_name, hook: () => m.inFlightCounts() });
    try {
      let servlet: string | undefined;
      const usage = { dbTxnCount: 0, dbTxnDurationMs: 0, dbSchedMs: 0 };
      const cpu = { user: 0, system: 0 };
      const live: LiveRequest = {
        method: "GET",
        get servlet() {
          return servlet;
        },
        usage,
        cpu: () => ({ ...cpu }),
      };
      m.observer.requestStarted("GET", live);
      let parsed = parseExposition(await scrapeMetrics());
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_count", { ...S, servlet: "unrecognised" })).toBe(1);
      expect(valueOf(parsed, "synapse_http_server_requests_received_total", S)).toBeUndefined();

      servlet = "sync";
      usage.dbTxnCount = 2;
      usage.dbTxnDurationMs = 30;
      cpu.user = 0.5;
      parsed = parseExposition(await scrapeMetrics());
      const sync = { ...S, method: "GET", servlet: "sync" };
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_count", sync)).toBe(1);
      expect(valueOf(parsed, "synapse_http_server_requests_received_total", sync)).toBe(1);
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_db_txn_count_total", sync)).toBe(2);
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_ru_utime_seconds_total", sync)).toBeCloseTo(0.5);
      expect(valueOf(parsed, "synapse_http_server_response_count_total", sync)).toBeUndefined();

      usage.dbTxnCount = 3;
      usage.dbTxnDurationMs = 45;
      m.observer.requestFinished({
        method: "GET",
        servlet: "sync",
        status: 200,
        durationMs: 30_000,
        bytes: 120,
        dbTxnCount: 3,
        dbTxnMs: 45,
        dbSchedMs: 7,
        cpu: { user: 0.75, system: 0.25 },
        tag: "",
        request: live,
      });
      parsed = parseExposition(await scrapeMetrics());
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_count", sync)).toBeUndefined();
      expect(valueOf(parsed, "synapse_http_server_requests_received_total", sync)).toBe(1);
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_db_txn_count_total", sync)).toBe(3);
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_db_txn_duration_seconds_total", sync)).toBeCloseTo(0.045);
      expect(valueOf(parsed, "synapse_http_server_in_flight_requests_ru_utime_seconds_total", sync)).toBeCloseTo(0.75);
      const done = { ...sync, tag: "" };
      expect(valueOf(parsed, "synapse_http_server_response_db_txn_count_total", done)).toBe(3);
      expect(valueOf(parsed, "synapse_http_server_response_ru_stime_seconds_total", done)).toBeCloseTo(0.25);
      expect(valueOf(parsed, "synapse_http_server_response_size_total", done)).toBe(120);
      expect(valueOf(parsed, "synapse_http_server_response_db_sched_duration_seconds_total", done)).toBeCloseTo(0.007);
      expect(valueOf(parsed, "synapse_http_server_response_time_seconds_bucket", { ...done, code: "200", le: "10" })).toBe(0);
      expect(valueOf(parsed, "synapse_http_server_response_time_seconds_count", { ...done, code: "200" })).toBe(1);
      expect(m.inFlightCount).toBe(0);
    } finally {
      offScrape();
      inFlightRequestsGauge.unregisterHooksForInstance("inflight-test");
      purgeServerSeries(S.server_name);
      for (const c of perServerCollectors) c.removeServer(S.server_name);
    }
  });
});
