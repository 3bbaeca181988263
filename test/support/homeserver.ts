import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { parseConfig, type HomeserverConfig } from "../../src/config/load.ts";
import { createHomeserver, type Homeserver, type HomeserverOptions } from "../../src/homeserver.ts";
import type { Clock } from "../../src/observability/clock.ts";

export interface TestHomeserver {
  hs: Homeserver;
  baseUrl: string;
  dir: string;
  /** fetch against the homeserver with JSON in and out. */
  request(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export interface TestHomeserverOptions extends Omit<HomeserverOptions, "listen"> {
  serverName?: string;
  /** Extra homeserver.yaml keys (snake_case, as in the file). */
  config?: Record<string, unknown>;
  /** On PostgreSQL: database.args keys over the suite's (e.g. cp_max). */
  postgresArgs?: Record<string, unknown>;
  clock?: Clock;
}

/** The database the suite runs on: SQLite always, PostgreSQL when HEARTH_TEST_POSTGRES holds a URL. */
export const TEST_POSTGRES_URL = process.env.HEARTH_TEST_POSTGRES || undefined;

let schemaSeq = 0;

/** What a test homeserver stands on: a temporary directory, its database, and the parsed config. */
export interface TestHomeserverBase {
  dir: string;
  config: HomeserverConfig;
  /** Drops the PostgreSQL schema (if any) and removes the directory. */
  cleanup(): Promise<void>;
}

/** The directory, database (SQLite file, or a fresh PostgreSQL schema) and config of a test homeserver. */
export async function prepareTestHomeserver(
  opts: { serverName?: string; config?: Record<string, unknown>; postgresArgs?: Record<string, unknown> } = {},
): Promise<TestHomeserverBase> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-test-"));
  const serverName = opts.serverName ?? "test.local";
  let dropSchema: (() => Promise<void>) | undefined;
  let database: Record<string, unknown> = { name: "sqlite3", args: { database: join(dir, "homeserver.db") } };
  if (TEST_POSTGRES_URL) {
    const schema = `hearth_test_${process.pid}_${Date.now().toString(36)}_${schemaSeq++}`;
    const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA "${schema}"`);
    database = { name: "psycopg2", args: { url: TEST_POSTGRES_URL, schema, cp_min: 1, cp_max: 4, ...opts.postgresArgs } };
    dropSchema = async () => {
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    };
  }
  const { config } = parseConfig(
    {
      server_name: serverName,
      public_baseurl: `http://${serverName}/`,
      database,
      signing_key_path: join(dir, "signing.key"),
      registration_shared_secret: "test-shared-secret",
      ...opts.config,
    },
    join(dir, "homeserver.yaml"),
  );
  return {
    dir,
    config,
    async cleanup() {
      await dropSchema?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Serves `hs` over HTTP on an ephemeral port on 127.0.0.1. */
export function serveTestHomeserver(hs: Homeserver): ReturnType<typeof Bun.serve> {
  return Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 255, fetch: (req, srv) => hs.fetch(req, srv) });
}

/** TestHomeserver.request against whatever `baseUrl()` answers at the time of the call. */
export function jsonRequester(baseUrl: () => string): TestHomeserver["request"] {
  return async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(baseUrl() + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** Starts a real homeserver in-process, serving HTTP on an ephemeral port on 127.0.0.1. */
export async function startTestHomeserver(opts: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  const { dir, config, cleanup } = await prepareTestHomeserver(opts);
  const hs = createHomeserver(config, { ...opts, listen: false });
  await hs.start();
  const server = serveTestHomeserver(hs);
  const baseUrl = `http://127.0.0.1:${server.port}`;
  let stopped = false;
  return {
    hs,
    baseUrl,
    dir,
    request: jsonRequester(() => baseUrl),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop(true);
      await hs.stop();
      await cleanup();
    },
  };
}
