import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startTestHomeserver } from "../support/homeserver.ts";
import { capturedLogs } from "../support/logs.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { migrateDatabase, SchemaTooNewError } from "../../src/storage/migrate.ts";
import { parseSigningKeyFile } from "../../src/matrix/signing.ts";

describe("homeserver lifecycle", () => {
  test("two homeservers with different server_names run in one process", async () => {
    const a = await startTestHomeserver({ serverName: "a.test" });
    const b = await startTestHomeserver({ serverName: "b.test" });
    try {
      const ra = await a.request("GET", "/.well-known/matrix/client");
      const rb = await b.request("GET", "/.well-known/matrix/client");
      expect(ra.body["m.homeserver"].base_url).toBe("http://a.test/");
      expect(rb.body["m.homeserver"].base_url).toBe("http://b.test/");
      expect(a.hs.services.database).not.toBe(b.hs.services.database);
      await a.stop();
      // b keeps serving after a stopped
      expect((await b.request("GET", "/_matrix/client/versions")).status).toBe(200);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test("every log record of Hearth after start-up carries server_name and request", async () => {
    capturedLogs.length = 0;
    const t = await startTestHomeserver({ serverName: "ctx.test" });
    try {
      await t.request("GET", "/_matrix/client/versions");
      await t.request("GET", "/_matrix/client/v3/nope");
    } finally {
      await t.stop();
    }
    const ours = capturedLogs.filter((r) => r.category[0] === "hearth");
    expect(ours.length).toBeGreaterThan(2);
    for (const r of ours) {
      expect(r.properties.server_name).toBe("ctx.test");
      expect(typeof r.properties.request).toBe("string");
    }
    const access = ours.filter((r) => r.category.join(".") === "hearth.access");
    expect(access.map((r) => r.properties.request)).toEqual(["GET-0", "GET-1"]);
    expect(ours.some((r) => r.properties.request === "startup")).toBe(true);
  });

  test("the signing key is generated in Synapse's file format and reused", async () => {
    const t = await startTestHomeserver();
    const path = t.hs.config.signing_key_path;
    const first = readFileSync(path, "utf8");
    expect(first).toMatch(/^ed25519 \S+ [A-Za-z0-9+/]{43}\n?$/);
    expect(parseSigningKeyFile(first)[0]!.keyId).toBe(t.hs.services.signingKey.keyId);
    await t.stop();
  });

  test("a database written by a newer Hearth is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-mig-"));
    const db = await openDatabase({ kind: "sqlite", path: join(dir, "hs.db") });
    await migrateDatabase(db, 0);
    await db.execRaw(["INSERT INTO hearth_schema_migrations (idx, tag, applied_ts) VALUES (999, '0999_future', 0)"]);
    await expect(migrateDatabase(db, 0)).rejects.toBeInstanceOf(SchemaTooNewError);
    await db.close();
  });

  test("the process serves, and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-proc-"));
    const main = resolve(import.meta.dir, "../../src/main.ts");
    const port = 20000 + Math.floor(Math.random() * 20000);
    Bun.spawnSync([process.execPath, main, "generate-config", "--server-name", "proc.test", "--config", "hs.yaml"], { cwd: dir });
    writeFileSync(join(dir, "hs.yaml"), readFileSync(join(dir, "hs.yaml"), "utf8").replace("port: 8008", `port: ${port}`));
    const proc = Bun.spawn([process.execPath, main, "--config", join(dir, "hs.yaml")], { stdout: "pipe", stderr: "pipe" });
    let body: any;
    // A fresh process transpiles the whole source tree: give a loaded CI machine time.
    for (let i = 0; i < 300 && !body; i++) {
      try {
        body = await (await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`)).json();
      } catch {
        await Bun.sleep(50);
      }
    }
    expect(body.versions.length).toBeGreaterThan(0);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const out = await new Response(proc.stdout).text();
    expect(out).toContain("register-user");
    expect(out).not.toMatch(/syt_[A-Za-z0-9]/);
  }, 30_000);
});
