import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { setupLogging, teardownLogging } from "../../src/observability/logging.ts";
import { runInLogContext } from "../../src/observability/log-context.ts";
import { configureTestLogging } from "../support/logs.ts";

afterAll(() => configureTestLogging());

describe("log_config (Synapse's dictConfig shape)", () => {
  test("a file handler gets lines in Synapse's shape; per-logger levels apply; synapse.* names map to hearth.*", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-logcfg-"));
    const file = join(dir, "homeserver.log");
    writeFileSync(
      join(dir, "log.yaml"),
      `version: 1
handlers:
  file:
    class: logging.handlers.TimedRotatingFileHandler
    filename: ${file}
loggers:
  synapse.storage.SQL:
    level: WARNING
  synapse.access.http:
    level: DEBUG
root:
  level: INFO
  handlers: [file]
`,
    );
    const setup = await setupLogging({ logConfigPath: join(dir, "log.yaml") });
    expect(setup.isExplicitlyConfigured("hearth.storage.SQL")).toBe(true);
    expect(setup.isExplicitlyConfigured("synapse.storage.SQL")).toBe(true);
    expect(setup.isExplicitlyConfigured("hearth.storage")).toBe(false);
    runInLogContext({ server_name: "log.test", request: "GET-3" }, () => {
      getLogger(["hearth", "main"]).info("visible at INFO");
      getLogger(["hearth", "main"]).debug("hidden at DEBUG");
      getLogger(["hearth", "storage", "SQL"]).info("hidden below WARNING");
      getLogger(["hearth", "storage", "SQL"]).warn("shown at WARNING");
      getLogger(["hearth", "access", "http"]).debug("explicit DEBUG shows");
      getLogger(["hearth", "main"]).info("token syt_YWxpY2U_abcdefghijklmnopqrst_1a2b3c never leaks");
    });
    await teardownLogging();
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} - hearth\.main - INFO - log\.test - GET-3 - visible at INFO$/);
    expect(lines[1]).toContain("hearth.storage.SQL - WARNING - log.test - GET-3 - shown at WARNING");
    expect(lines[2]).toContain("hearth.access.http - DEBUG - log.test - GET-3 - explicit DEBUG shows");
    expect(lines[3]).toContain("token syt_<redacted> never leaks");
  });

  test("a missing log_config file is an error", async () => {
    await expect(setupLogging({ logConfigPath: "/nonexistent/log.yaml" })).rejects.toThrow("does not exist");
  });
});
