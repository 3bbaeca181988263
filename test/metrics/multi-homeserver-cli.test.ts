import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./listening.ts";
import { parseExposition, valueOf } from "./exposition-parser.ts";

const main = resolve(import.meta.dir, "../../src/main.ts");

function homeserverYaml(serverName: string, port: number, metricsPort?: number): string {
  return [
    `server_name: ${serverName}`,
    `enable_metrics: ${metricsPort !== undefined}`,
    "listeners:",
    `  - port: ${port}`,
    "    bind_addresses: ['127.0.0.1']",
    "    resources: [{names: [client]}]",
    ...(metricsPort !== undefined ? [`  - port: ${metricsPort}`, "    type: metrics", "    bind_addresses: ['127.0.0.1']"] : []),
    "database:",
    "  name: sqlite3",
    "  args:",
    `    database: ${serverName}.db`,
    `signing_key_path: ${serverName}.signing.key`,
    "",
  ].join("\n");
}

async function waitFor<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not listening yet
    }
    await Bun.sleep(25);
  }
  throw new Error("timed out");
}

describe("hearth with several homeservers", () => {
  test("a homeservers: list runs both in one process, sharing a port routed by Host, with one scrape", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-multi-"));
    const port = freePort();
    const metricsPort = freePort();
    writeFileSync(join(dir, "a.yaml"), homeserverYaml("a.multi.test", port, metricsPort));
    writeFileSync(join(dir, "b.yaml"), homeserverYaml("b.multi.test", port));
    writeFileSync(join(dir, "all.yaml"), "homeservers:\n  - a.yaml\n  - b.yaml\n");
    const proc = Bun.spawn([process.execPath, main, "--config", join(dir, "all.yaml")], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    try {
      const baseUrl = (host: string) =>
        fetch(`http://127.0.0.1:${port}/.well-known/matrix/client`, { headers: { host } }).then(async (r) => (r.ok ? ((await r.json()) as any)["m.homeserver"].base_url as string : undefined));
      expect(await waitFor(() => baseUrl("b.multi.test"))).toBe(`http://b.multi.test:${port}/`);
      expect(await baseUrl("a.multi.test")).toBe(`http://a.multi.test:${port}/`);
      const unknown = await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`, { headers: { host: "elsewhere.test" } });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { errcode: string }).errcode).toBe("M_UNRECOGNIZED");

      const scrape = parseExposition(await (await fetch(`http://127.0.0.1:${metricsPort}/_synapse/metrics`)).text());
      expect(valueOf(scrape, "synapse_server_name_info", { server_name: "a.multi.test" })).toBe(1);
      expect(valueOf(scrape, "synapse_server_name_info", { server_name: "b.multi.test" })).toBe(1);
      expect(valueOf(scrape, "synapse_http_server_requests_received_total", { server_name: "b.multi.test", servlet: "well_known_client" })).toBeGreaterThanOrEqual(1);
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test("the same server_name twice is a config error", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-multi-"));
    writeFileSync(join(dir, "a.yaml"), homeserverYaml("same.multi.test", freePort()));
    writeFileSync(join(dir, "b.yaml"), homeserverYaml("same.multi.test", freePort()));
    const r = Bun.spawnSync([process.execPath, main, "--config", "a.yaml", "--config", "b.yaml"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain("server_name same.multi.test is configured twice");
    rmSync(dir, { recursive: true, force: true });
  });
});
