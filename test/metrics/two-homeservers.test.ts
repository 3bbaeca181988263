import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { capturedLogs } from "../support/logs.ts";
import { formatRecord } from "../../src/observability/logging.ts";
import { runInLogContext } from "../../src/observability/log-context.ts";
import { scrapeMetrics } from "../../src/observability/metrics/exposition.ts";
import { notifierListeners, pyBool, userRegistrations } from "../../src/observability/metrics/feature-metrics.ts";
import { LaterGauge } from "../../src/observability/metrics/later-gauge.ts";
import { parseExposition, sumOf, valueOf, type ParsedExposition } from "./exposition-parser.ts";

let a: TestHomeserver;
let b: TestHomeserver;
let scrape: ParsedExposition;
const testGauge = new LaterGauge({ name: "hearth_test_two_servers_gauge", help: "test", labelNames: ["server_name"] });

beforeAll(async () => {
  capturedLogs.length = 0;
  a = await startTestHomeserver({ serverName: "a.metrics.test" });
  b = await startTestHomeserver({ serverName: "b.metrics.test" });

  for (let i = 0; i < 3; i++) expect((await a.request("GET", "/_matrix/client/versions")).status).toBe(200);
  expect((await b.request("GET", "/_matrix/client/versions")).status).toBe(200);
  for (const id of ["!one:x", "!two:x"]) expect((await b.request("GET", `/_matrix/client/v3/nonsense/${id}`)).status).toBe(404);

  const txn = (t: TestHomeserver) =>
    runInLogContext({ server_name: t.hs.serverName, request: "test" }, () =>
      t.hs.services.database.transaction("metrics_test_txn", async () => undefined),
    );
  for (let i = 0; i < 2; i++) await txn(a);
  for (let i = 0; i < 5; i++) await txn(b);

  const bgA = a.hs.services.background;
  await bgA.run("metrics_test_task", () => a.hs.services.database.transaction("bg_txn", async () => 1));
  await bgA.run("metrics_test_task", async () => 2);
  await b.hs.services.background.run("metrics_test_task", async () => 3);

  a.hs.services.metrics.registerLaterGaugeHook(testGauge, () => 7);
  let hits = 0;
  a.hs.services.metrics.registerCache("test_cache", () => ({ size: 1, hits: ++hits, misses: 4, maxSize: 777, evicted: { size: 2, time: 1 } }));
  b.hs.services.metrics.registerCache("test_cache", () => ({ size: 0, hits: 0, misses: 0 }));

  userRegistrations.inc({ guest: pyBool(false), shadow_banned: pyBool(false), auth_provider: "", server_name: a.hs.serverName });

  scrape = parseExposition(await scrapeMetrics());
});

afterAll(async () => {
  await a.stop();
  await b.stop();
});

const A = { server_name: "a.metrics.test" };
const B = { server_name: "b.metrics.test" };

describe("two homeservers in one process: one scrape, independent values", () => {
  test("synapse_server_name_info is 1 for each running homeserver", () => {
    expect(valueOf(scrape, "synapse_server_name_info", A)).toBe(1);
    expect(valueOf(scrape, "synapse_server_name_info", B)).toBe(1);
  });

  test("HTTP metrics use the route name as servlet and count per server", () => {
    expect(valueOf(scrape, "synapse_http_server_requests_received_total", { ...A, method: "GET", servlet: "versions" })).toBe(3);
    expect(valueOf(scrape, "synapse_http_server_requests_received_total", { ...B, method: "GET", servlet: "versions" })).toBe(1);
    expect(valueOf(scrape, "synapse_http_server_responses_total", { ...A, method: "GET", code: "200" })).toBe(3);
    expect(valueOf(scrape, "synapse_http_server_responses_total", { ...B, method: "GET", code: "404" })).toBe(2);
    expect(valueOf(scrape, "synapse_http_server_responses_total", { ...A, method: "GET", code: "404" })).toBeUndefined();
    expect(valueOf(scrape, "synapse_http_server_response_count_total", { ...A, servlet: "versions", tag: "" })).toBe(3);
    expect(valueOf(scrape, "synapse_http_server_response_time_seconds_count", { ...A, servlet: "versions", code: "200" })).toBe(3);
    expect(valueOf(scrape, "synapse_http_server_response_time_seconds_bucket", { ...A, servlet: "versions", code: "200", le: "+Inf" })).toBe(3);
    // Unknown paths never become label values: no series carries the raw path or the room ids.
    const servlets = scrape.samples.filter((s) => s.labels.server_name === B.server_name && s.labels.servlet).map((s) => s.labels.servlet);
    expect(servlets.some((s) => s!.includes("nonsense") || s!.includes("!"))).toBe(false);
    expect(valueOf(scrape, "synapse_http_server_requests_received_total", { ...B, servlet: "unrecognised" })).toBe(2);
    expect(valueOf(scrape, "synapse_http_server_response_size_total", { ...A, servlet: "versions" })).toBeGreaterThan(0);
    expect(valueOf(scrape, "synapse_http_server_in_flight_requests_count", A)).toBeUndefined();
  });

  test("histograms carry Synapse's buckets", () => {
    const les = scrape.samples
      .filter((s) => s.name === "synapse_http_server_response_time_seconds_bucket" && s.labels.server_name === A.server_name && s.labels.servlet === "versions")
      .map((s) => s.labels.le);
    expect(les).toEqual(["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"]);
  });

  test("database transaction metrics come from each server's own database", () => {
    expect(valueOf(scrape, "synapse_storage_transaction_time_count_total", { ...A, desc: "metrics_test_txn" })).toBe(2);
    expect(valueOf(scrape, "synapse_storage_transaction_time_count_total", { ...B, desc: "metrics_test_txn" })).toBe(5);
    expect(valueOf(scrape, "synapse_storage_transaction_time_sum_total", { ...A, desc: "metrics_test_txn" })).toBeGreaterThanOrEqual(0);
    expect(scrape.types.get("synapse_storage_schedule_time")).toBe("histogram");
    expect(scrape.types.get("synapse_storage_query_time")).toBe("histogram");
  });

  test("background process metrics per server, with the DB work of the process", () => {
    const task = { name: "metrics_test_task" };
    expect(valueOf(scrape, "synapse_background_process_start_count_total", { ...A, ...task })).toBe(2);
    expect(valueOf(scrape, "synapse_background_process_start_count_total", { ...B, ...task })).toBe(1);
    expect(valueOf(scrape, "synapse_background_process_in_flight_count", { ...A, ...task })).toBe(0);
    expect(valueOf(scrape, "synapse_background_process_db_txn_count_total", { ...A, ...task })).toBe(1);
    expect(valueOf(scrape, "synapse_background_process_db_txn_count_total", { ...B, ...task })).toBe(0);
    expect(valueOf(scrape, "synapse_background_process_ru_utime_seconds_total", { ...A, ...task })).toBeGreaterThanOrEqual(0);
  });

  test("LaterGauges report each instance's hook", () => {
    expect(valueOf(scrape, "hearth_test_two_servers_gauge", A)).toBe(7);
    expect(valueOf(scrape, "hearth_test_two_servers_gauge", B)).toBeUndefined();
    for (const name of ["synapse_notifier_listeners", "synapse_notifier_rooms", "synapse_notifier_users", "synapse_scheduler_running_tasks"]) {
      expect(valueOf(scrape, name, A)).toBe(0);
      expect(valueOf(scrape, name, B)).toBe(0);
    }
    expect(valueOf(scrape, "synapse_background_update_status", { ...A, database_name: "master" })).toBe(3);
    expect(valueOf(scrape, "synapse_background_update_status", { ...B, database_name: "master" })).toBe(3);
  });

  test("a second real hook for the same instance is an error", () => {
    expect(() => a.hs.services.metrics.registerLaterGaugeHook(notifierListeners, () => 1)).toThrow(/already registered/);
  });

  test("caches with the same name on two servers are two series", () => {
    const cache = { name: "test_cache" };
    expect(valueOf(scrape, "synapse_util_caches_cache_size", { ...A, ...cache })).toBe(1);
    expect(valueOf(scrape, "synapse_util_caches_cache_size", { ...B, ...cache })).toBe(0);
    expect(valueOf(scrape, "synapse_util_caches_cache_hits", { ...A, ...cache })).toBe(1);
    expect(valueOf(scrape, "synapse_util_caches_cache", { ...A, ...cache })).toBe(5);
    expect(valueOf(scrape, "synapse_util_caches_cache_max_size", { ...A, ...cache })).toBe(777);
    expect(valueOf(scrape, "synapse_util_caches_cache_max_size", { ...B, ...cache })).toBeUndefined();
    expect(valueOf(scrape, "synapse_util_caches_cache_evicted_size", { ...A, ...cache, reason: "size" })).toBe(2);
    expect(valueOf(scrape, "synapse_util_caches_cache_evicted_size", { ...A, ...cache, reason: "time" })).toBe(1);
  });

  test("feature counters are per server, with their series initialised at start", () => {
    const labels = { guest: "False", shadow_banned: "False", auth_provider: "" };
    expect(valueOf(scrape, "synapse_user_registrations_total", { ...A, ...labels })).toBe(1);
    expect(valueOf(scrape, "synapse_user_registrations_total", { ...B, ...labels })).toBe(0);
    expect(valueOf(scrape, "synapse_user_logins_total", { ...B, guest: "False", auth_provider: "" })).toBe(0);
  });

  test("every synapse_* series but synapse_build_info carries server_name; process metrics do not", () => {
    const missing = scrape.samples.filter((s) => s.name.startsWith("synapse_") && s.name !== "synapse_build_info" && !s.labels.server_name);
    expect(missing.map((s) => s.name)).toEqual([]);
    const processLevel = scrape.samples.filter((s) => s.name.startsWith("process_") || s.name.startsWith("nodejs_"));
    expect(processLevel.length).toBeGreaterThan(0);
    expect(processLevel.some((s) => "server_name" in s.labels)).toBe(false);
    const build = scrape.samples.find((s) => s.name === "synapse_build_info")!;
    expect(build.value).toBe(1);
    expect(build.labels.pythonversion).toBe(`Bun ${Bun.version}`);
    expect(build.labels.server_name).toBeUndefined();
  });

  test("counters are exposed with their _total names and no _created series", () => {
    expect(scrape.types.get("synapse_http_server_requests_received_total")).toBe("counter");
    expect(scrape.samples.some((s) => s.name.endsWith("_created"))).toBe(false);
    expect(sumOf(scrape, "synapse_http_server_requests_received_total")).toBeGreaterThanOrEqual(6);
  });

  test("each server's log records carry its own server_name", () => {
    const access = capturedLogs.filter((r) => r.category.join(".") === "hearth.access");
    const byServer = (name: string) => access.filter((r) => r.properties.server_name === name);
    expect(byServer(A.server_name).length).toBe(3);
    expect(byServer(B.server_name).length).toBe(3);
    expect(byServer(B.server_name).filter((r) => r.properties.status === 404).length).toBe(2);
    // Synapse's access line: ip - site - {requester} times ru=(...) db=(...) bytes status "method path protocol" "agent" [n dbevts]
    expect(formatRecord(byServer(A.server_name)[0]!)).toMatch(
      /- a\.metrics\.test - GET-\d+ - 127\.0\.0\.1 - \d+ - \{None\} Processed request: \d+\.\d{3}sec\/\d+\.\d{3}sec ru=\(\d+\.\d{3}sec, \d+\.\d{3}sec\) db=\(\d+\.\d{3}sec\/\d+\.\d{3}sec\/0\) [1-9]\d*B 200 "GET \/_matrix\/client\/versions HTTP\/1\.1" "[^"]+" \[0 dbevts\]$/,
    );
    const bg = capturedLogs.filter((r) => r.properties.request === "metrics_test_task-1");
    expect(bg.every((r) => r.properties.server_name === A.server_name)).toBe(true);
    for (const r of capturedLogs.filter((r) => r.category[0] === "hearth")) {
      expect([A.server_name, B.server_name]).toContain(r.properties.server_name as string);
    }
  });
});
