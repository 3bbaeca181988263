import type { HttpObserver, LiveRequest, RequestFinishedInfo } from "../../http/app.ts";
import { counter, histogram, SERVER_NAME_LABEL } from "./registry.ts";
import { LaterGauge, type LaterGaugeSample } from "./later-gauge.ts";

const S = SERVER_NAME_LABEL;
const P = "synapse_http_server_";

const requestsReceived = counter(`${P}requests_received_total`, "Requests received, by servlet", ["method", "servlet", S]);
const responses = counter(`${P}responses_total`, "Responses sent, by status code", ["method", "code", S]);
const responseCount = counter(`${P}response_count_total`, "Responses sent, by servlet", ["method", "servlet", "tag", S]);
const responseTime = histogram(`${P}response_time_seconds`, "sec", ["method", "servlet", "tag", "code", S]);
const responseLabels = ["method", "servlet", "tag", S] as const;
const responseUtime = counter(`${P}response_ru_utime_seconds_total`, "sec", responseLabels);
const responseStime = counter(`${P}response_ru_stime_seconds_total`, "sec", responseLabels);
const responseDbTxnCount = counter(`${P}response_db_txn_count_total`, "", responseLabels);
const responseDbTxnDuration = counter(`${P}response_db_txn_duration_seconds_total`, "", responseLabels);
const responseDbSchedDuration = counter(`${P}response_db_sched_duration_seconds_total`, "", responseLabels);
const responseSize = counter(`${P}response_size_total`, "Bytes sent", responseLabels);

const inFlightLabels = ["method", "servlet", S] as const;
const inFlightUtime = counter(`${P}in_flight_requests_ru_utime_seconds_total`, "", inFlightLabels);
const inFlightStime = counter(`${P}in_flight_requests_ru_stime_seconds_total`, "", inFlightLabels);
const inFlightDbTxnCount = counter(`${P}in_flight_requests_db_txn_count_total`, "", inFlightLabels);
const inFlightDbTxnDuration = counter(`${P}in_flight_requests_db_txn_duration_seconds_total`, "", inFlightLabels);
const inFlightDbSchedDuration = counter(`${P}in_flight_requests_db_sched_duration_seconds_total`, "", inFlightLabels);

export const inFlightRequestsGauge = new LaterGauge({
  name: `${P}in_flight_requests_count`,
  help: "Requests being processed",
  labelNames: ["method", "servlet", S],
});

interface Reported {
  counted: boolean;
  dbTxnCount: number;
  dbTxnMs: number;
  cpuUser: number;
  cpuSystem: number;
}

/** The HTTP metrics of one homeserver (§5.6): an HttpObserver plus its scrape-time parts. */
export class HttpMetrics {
  readonly #inFlight = new Map<LiveRequest, Reported>();

  constructor(private readonly serverName: string) {}

  readonly observer: HttpObserver = {
    requestStarted: (_method, request) => {
      this.#inFlight.set(request, { counted: false, dbTxnCount: 0, dbTxnMs: 0, cpuUser: 0, cpuSystem: 0 });
    },
    requestFinished: (info) => this.#finished(info),
  };

  /**
   * Brings the in-flight counters up to date, and counts a request as
   * received once its servlet is known (Synapse counts it right after
   * dispatch; a long-poll is counted at the first scrape, not when it ends).
   */
  beforeScrape(): void {
    for (const [request, reported] of this.#inFlight) {
      const servlet = request.servlet;
      if (servlet === undefined) continue;
      this.#countReceived(request.method, servlet, reported);
      this.#addInFlightUsage(request, servlet, reported);
    }
  }

  /** Hook for synapse_http_server_in_flight_requests_count. */
  inFlightCounts(): LaterGaugeSample[] {
    const counts = new Map<string, LaterGaugeSample>();
    for (const request of this.#inFlight.keys()) {
      const servlet = request.servlet ?? "unrecognised";
      const key = `${request.method} ${servlet}`;
      const sample = counts.get(key);
      if (sample) sample.value++;
      else counts.set(key, { labels: { method: request.method, servlet, [S]: this.serverName }, value: 1 });
    }
    return [...counts.values()];
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  #finished(info: RequestFinishedInfo): void {
    const reported = this.#inFlight.get(info.request) ?? { counted: false, dbTxnCount: 0, dbTxnMs: 0, cpuUser: 0, cpuSystem: 0 };
    this.#inFlight.delete(info.request);
    const method = info.method;
    const servlet = info.servlet;
    this.#countReceived(method, servlet, reported);
    const code = String(info.status);
    const server_name = this.serverName;
    responses.inc({ method, code, server_name });
    const labels = { method, servlet, tag: info.tag, server_name };
    responseCount.inc(labels);
    responseTime.observe({ ...labels, code }, info.durationMs / 1000);
    responseUtime.inc(labels, info.cpu.user);
    responseStime.inc(labels, info.cpu.system);
    responseDbTxnCount.inc(labels, info.dbTxnCount);
    responseDbTxnDuration.inc(labels, info.dbTxnMs / 1000);
    responseDbSchedDuration.inc(labels, info.dbSchedMs / 1000);
    responseSize.inc(labels, info.bytes);
    // As in Synapse, the in-flight counters end up with the request's whole usage.
    this.#addInFlightUsage(info.request, servlet, reported, info);
  }

  #countReceived(method: string, servlet: string, reported: Reported): void {
    if (reported.counted) return;
    reported.counted = true;
    requestsReceived.inc({ method, servlet, server_name: this.serverName });
  }

  #addInFlightUsage(request: LiveRequest, servlet: string, reported: Reported, final?: RequestFinishedInfo): void {
    const cpu = final?.cpu ?? request.cpu();
    const dbTxnCount = final?.dbTxnCount ?? request.usage?.dbTxnCount ?? 0;
    const dbTxnMs = final?.dbTxnMs ?? request.usage?.dbTxnDurationMs ?? 0;
    const labels = { method: request.method, servlet, server_name: this.serverName };
    inFlightUtime.inc(labels, Math.max(0, cpu.user - reported.cpuUser));
    inFlightStime.inc(labels, Math.max(0, cpu.system - reported.cpuSystem));
    inFlightDbTxnCount.inc(labels, Math.max(0, dbTxnCount - reported.dbTxnCount));
    inFlightDbTxnDuration.inc(labels, Math.max(0, dbTxnMs - reported.dbTxnMs) / 1000);
    inFlightDbSchedDuration.inc(labels, 0);
    reported.cpuUser = Math.max(reported.cpuUser, cpu.user);
    reported.cpuSystem = Math.max(reported.cpuSystem, cpu.system);
    reported.dbTxnCount = Math.max(reported.dbTxnCount, dbTxnCount);
    reported.dbTxnMs = Math.max(reported.dbTxnMs, dbTxnMs);
  }
}
