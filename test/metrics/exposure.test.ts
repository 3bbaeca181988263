import { describe, expect, test } from "bun:test";
import { capturedLogs } from "../support/logs.ts";
import { freePort, refused, startListening } from "./listening.ts";
import { parseExposition, valueOf } from "./exposition-parser.ts";

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
const loopback = ["127.0.0.1"];

describe("metrics listener (type: metrics)", () => {
  test("serves the process's metrics on its own port, on any path, and closes on stop", async () => {
    capturedLogs.length = 0;
    const http = freePort();
    const metrics = freePort();
    const t = await startListening({
      serverName: "listener.metrics.test",
      config: {
        enable_metrics: true,
        listeners: [
          { port: http, bind_addresses: loopback, type: "http", resources: [{ names: ["client"] }] },
          { port: metrics, bind_addresses: loopback, type: "metrics" },
        ],
      },
    });
    try {
      for (const path of ["/_synapse/metrics", "/metrics", "/"]) {
        const res = await fetch(`http://127.0.0.1:${metrics}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe(CONTENT_TYPE);
        const parsed = parseExposition(await res.text());
        expect(valueOf(parsed, "synapse_server_name_info", { server_name: "listener.metrics.test" })).toBe(1);
      }
      // The http listener has no metrics resource.
      expect((await fetch(`http://127.0.0.1:${http}/_synapse/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${http}/_matrix/client/versions`)).status).toBe(200);

      const gz = await fetch(`http://127.0.0.1:${metrics}/_synapse/metrics`, { headers: { "accept-encoding": "gzip" }, decompress: false });
      expect(gz.headers.get("content-encoding")).toBe("gzip");
      const text = new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer())));
      expect(valueOf(parseExposition(text), "synapse_server_name_info", { server_name: "listener.metrics.test" })).toBe(1);

      const started = capturedLogs.filter((r) => r.rawMessage === "Starting metrics listener on {host}:{port}");
      expect(started.map((r) => r.properties.port)).toEqual([metrics]);
      expect(started[0]!.properties.server_name).toBe("listener.metrics.test");
    } finally {
      await t.stop();
    }
    expect(await refused(`http://127.0.0.1:${metrics}/`)).toBe(true);
    expect(await refused(`http://127.0.0.1:${http}/`)).toBe(true);
  });

  test("is not started without enable_metrics, with Synapse's warning", async () => {
    capturedLogs.length = 0;
    const metrics = freePort();
    const t = await startListening({
      serverName: "nometrics.test",
      config: { listeners: [{ port: metrics, bind_addresses: loopback, type: "metrics" }] },
    });
    try {
      expect(await refused(`http://127.0.0.1:${metrics}/`)).toBe(true);
      const warning = capturedLogs.find((r) => r.rawMessage === "Metrics listener configured, but enable_metrics is not True!");
      expect(warning?.level).toBe("warning");
      expect(warning?.properties.server_name).toBe("nometrics.test");
    } finally {
      await t.stop();
    }
  });
});

describe("metrics resource on an http listener", () => {
  test("GET /_synapse/metrics is served next to the client API, gzipped when compress is on", async () => {
    const port = freePort();
    const t = await startListening({
      serverName: "resource.metrics.test",
      config: {
        enable_metrics: true,
        listeners: [{ port, bind_addresses: loopback, resources: [{ names: ["client", "metrics"], compress: true }] }],
      },
    });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/_synapse/metrics`, { headers: { "accept-encoding": "identity" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(CONTENT_TYPE);
      expect(res.headers.get("content-encoding")).toBeNull();
      expect(valueOf(parseExposition(await res.text()), "synapse_server_name_info", { server_name: "resource.metrics.test" })).toBe(1);
      const gz = await fetch(`http://127.0.0.1:${port}/_synapse/metrics`, { headers: { "accept-encoding": "gzip, br" }, decompress: false });
      expect(gz.headers.get("content-encoding")).toBe("gzip");
      expect((await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`)).status).toBe(200);
      // Requests served by the homeserver on the same listener still count in the metrics.
      const after = parseExposition(await (await fetch(`http://127.0.0.1:${port}/_synapse/metrics`)).text());
      expect(valueOf(after, "synapse_http_server_requests_received_total", { server_name: "resource.metrics.test", servlet: "versions" })).toBe(1);
    } finally {
      await t.stop();
    }
  });

  test("is not mounted when enable_metrics is false", async () => {
    const port = freePort();
    const t = await startListening({
      serverName: "resource-off.metrics.test",
      config: { listeners: [{ port, bind_addresses: loopback, resources: [{ names: ["client", "metrics"] }] }] },
    });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/_synapse/metrics`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { errcode: string }).errcode).toBe("M_UNRECOGNIZED");
    } finally {
      await t.stop();
    }
  });
});
