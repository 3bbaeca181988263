import type { HttpObserver, LiveRequest, RequestFinishedInfo } from "../../http/app.ts";
import { SERVER_NAME_LABEL } from "./registry.ts";
import { ServerCounter, ServerHistogram, type CounterSeries, type HistogramSeries } from "./server-histogram.ts";
import { LaterGauge, type LaterGaugeSample } from "./later-gauge.ts";

const S = SERVER_NAME_LABEL;
const P = "synapse_http_server_";

// Every request updates these: cheap series (see ServerCounter), looked up once per
// method/servlet/tag/code and kept, not prom-client metrics hashing labels on each update.
const counterOf = (name: string, help: string, labels: readonly string[]) => new ServerCounter({ name, help, labels });
const requestsReceived = counterOf(`${P}requests_received_total`, "Requests received, by servlet", ["method", "servlet"]);
const responses = counterOf(`${P}responses_total`, "Responses sent, by status code", ["method", "code"]);
const responseLabels = ["method", "servlet", "tag"] as const;
const responseCount = counterOf(`${P}response_count_total`, "Responses sent, by servlet", responseLabels);
const responseTime = new ServerHistogram({ name: `${P}response_time_seconds`, help: "sec", labels: ["method", "servlet", "tag", "code"] });
const responseUtime = counterOf(`${P}response_ru_utime_seconds_total`, "sec", responseLabels);
const responseStime = counterOf(`${P}response_ru_stime_seconds_total`, "sec", responseLabels);
const responseDbTxnCount = counterOf(`${P}response_db_txn_count_total`, "", responseLabels);
const responseDbTxnDuration = counterOf(`${P}response_db_txn_duration_seconds_total`, "", responseLabels);
const responseDbSchedDuration = counterOf(`${P}response_db_sched_duration_seconds_total`, "", responseLabels);
const responseSize = counterOf(`${P}response_size_total`, "Bytes sent", responseLabels);

const inFlightLabels = ["method", "servlet"] as const;
const inFlightUtime = counterOf(`${P}in_flight_requests_ru_utime_seconds_total`, "", inFlightLabels);
const inFlightStime = counterOf(`${P}in_flight_requests_ru_stime_seconds_total`, "", inFlightLabels);
const inFlightDbTxnCount = counterOf(`${P}in_flight_requests_db_txn_count_total`, "", inFlightLabels);
const inFlightDbTxnDuration = counterOf(`${P}in_flight_requests_db_txn_duration_seconds_total`, "", inFlightLabels);
const inFlightDbSchedDuration = counterOf(`${P}in_flight_requests_db_sched_duration_seconds_total`, "", inFlightLabels);

/** The series one servlet's requests update (per method). */
interface ServletSeries {
  received: CounterSeries;
  utime: CounterSeries;
  stime: CounterSeries;
  dbTxnCount: CounterSeries;
  dbTxnDuration: CounterSeries;
  dbSchedDuration: CounterSeries;
}

/** The series one finished request updates (per method, servlet, tag and code). */
interface ResponseSeries {
  servlet: ServletSeries;
  responses: CounterSeries;
  count: CounterSeries;
  time: HistogramSeries;
  utime: CounterSeries;
  stime: CounterSeries;
  dbTxnCount: CounterSeries;
  dbTxnDuration: CounterSeries;
  dbSchedDuration: CounterSeries;
  size: CounterSeries;
}

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
  readonly #servlets = new Map<string, ServletSeries>();
  readonly #responses = new Map<string, ResponseSeries>();

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
      const series = this.#servletSeries(request.method, servlet);
      this.#countReceived(series, reported);
      this.#addInFlightUsage(request, series, reported);
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
    const r = this.#responseSeries(info.method, info.servlet, info.tag, info.status);
    this.#countReceived(r.servlet, reported);
    r.responses.value++;
    r.count.value++;
    responseTime.record(r.time, info.durationMs / 1000);
    r.utime.value += info.cpu.user;
    r.stime.value += info.cpu.system;
    r.dbTxnCount.value += info.dbTxnCount;
    r.dbTxnDuration.value += info.dbTxnMs / 1000;
    r.dbSchedDuration.value += info.dbSchedMs / 1000;
    r.size.value += info.bytes;
    // As in Synapse, the in-flight counters end up with the request's whole usage.
    this.#addInFlightUsage(info.request, r.servlet, reported, info);
  }

  #servletSeries(method: string, servlet: string): ServletSeries {
    const key = `${method}\u0000${servlet}`;
    let s = this.#servlets.get(key);
    if (!s) {
      const values = [method, servlet];
      const server = this.serverName;
      s = {
        received: requestsReceived.series(server, values),
        utime: inFlightUtime.series(server, values),
        stime: inFlightStime.series(server, values),
        dbTxnCount: inFlightDbTxnCount.series(server, values),
        dbTxnDuration: inFlightDbTxnDuration.series(server, values),
        dbSchedDuration: inFlightDbSchedDuration.series(server, values),
      };
      this.#servlets.set(key, s);
    }
    return s;
  }

  #responseSeries(method: string, servlet: string, tag: string, status: number): ResponseSeries {
    const key = `${method}\u0000${servlet}\u0000${tag}\u0000${status}`;
    let r = this.#responses.get(key);
    if (!r) {
      const server = this.serverName;
      const values = [method, servlet, tag];
      const code = String(status);
      r = {
        servlet: this.#servletSeries(method, servlet),
        responses: responses.series(server, [method, code]),
        count: responseCount.series(server, values),
        time: responseTime.series(server, [method, servlet, tag, code]),
        utime: responseUtime.series(server, values),
        stime: responseStime.series(server, values),
        dbTxnCount: responseDbTxnCount.series(server, values),
        dbTxnDuration: responseDbTxnDuration.series(server, values),
        dbSchedDuration: responseDbSchedDuration.series(server, values),
        size: responseSize.series(server, values),
      };
      this.#responses.set(key, r);
    }
    return r;
  }

  #countReceived(servlet: ServletSeries, reported: Reported): void {
    if (reported.counted) return;
    reported.counted = true;
    servlet.received.value++;
  }

  #addInFlightUsage(request: LiveRequest, servlet: ServletSeries, reported: Reported, final?: RequestFinishedInfo): void {
    const cpu = final?.cpu ?? request.cpu();
    const dbTxnCount = final?.dbTxnCount ?? request.usage?.dbTxnCount ?? 0;
    const dbTxnMs = final?.dbTxnMs ?? request.usage?.dbTxnDurationMs ?? 0;
    servlet.utime.value += Math.max(0, cpu.user - reported.cpuUser);
    servlet.stime.value += Math.max(0, cpu.system - reported.cpuSystem);
    servlet.dbTxnCount.value += Math.max(0, dbTxnCount - reported.dbTxnCount);
    servlet.dbTxnDuration.value += Math.max(0, dbTxnMs - reported.dbTxnMs) / 1000;
    reported.cpuUser = Math.max(reported.cpuUser, cpu.user);
    reported.cpuSystem = Math.max(reported.cpuSystem, cpu.system);
    reported.dbTxnCount = Math.max(reported.dbTxnCount, dbTxnCount);
    reported.dbTxnMs = Math.max(reported.dbTxnMs, dbTxnMs);
  }
}
