import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { parseConfig } from "../../src/config/load.ts";
import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import { TEST_POSTGRES_URL, type TestHomeserver } from "../support/homeserver.ts";
import { ROOM_TEST_LIMITS } from "../rooms/helpers.ts";

export interface RestartableHomeserver extends TestHomeserver {
  /** Stops the homeserver and starts a new one on the same database and signing key. */
  restart(): Promise<void>;
}

/** A test homeserver whose database outlives it, for restart tests (SQLite file or a PostgreSQL schema). */
export async function startRestartableHomeserver(): Promise<RestartableHomeserver> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-sync-restart-"));
  let database: Record<string, unknown> = { name: "sqlite3", args: { database: join(dir, "homeserver.db") } };
  let dropSchema: (() => Promise<void>) | undefined;
  if (TEST_POSTGRES_URL) {
    const schema = `hearth_sync_restart_${process.pid}_${Date.now().toString(36)}`;
    const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA "${schema}"`);
    database = { name: "psycopg2", args: { url: TEST_POSTGRES_URL, schema, cp_min: 1, cp_max: 4 } };
    dropSchema = async () => {
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    };
  }
  const { config } = parseConfig(
    {
      server_name: "test.local",
      public_baseurl: "http://test.local/",
      database,
      signing_key_path: join(dir, "signing.key"),
      enable_registration: true,
      enable_registration_without_verification: true,
      ...ROOM_TEST_LIMITS,
    },
    join(dir, "homeserver.yaml"),
  );

  let hs!: Homeserver;
  let server!: ReturnType<typeof Bun.serve>;
  const boot = async () => {
    hs = createHomeserver(config, { listen: false });
    await hs.start();
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 255, fetch: (req, srv) => hs.fetch(req, srv) });
  };
  const shutdown = async () => {
    await server.stop(true);
    await hs.stop();
  };
  await boot();

  const self: RestartableHomeserver = {
    get hs() {
      return hs;
    },
    get baseUrl() {
      return `http://127.0.0.1:${server.port}`;
    },
    dir,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(self.baseUrl + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    async restart() {
      await shutdown();
      await boot();
    },
    async stop() {
      await shutdown();
      await dropSchema?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
