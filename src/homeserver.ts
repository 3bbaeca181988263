import { getLogger } from "@logtape/logtape";
import type { Server } from "bun";
import type { HomeserverConfig, ListenerConfig } from "./config/load.ts";
import { createRealClock, type Clock, type LoopingCall } from "./observability/clock.ts";
import { BackgroundProcesses } from "./observability/background.ts";
import { runInLogContext } from "./observability/log-context.ts";
import { startDbProfiling } from "./observability/db-profiling.ts";
import type { LoggingSetup } from "./observability/logging.ts";
import { openDatabase, type Database } from "./storage/database.ts";
import { migrateDatabase } from "./storage/migrate.ts";
import { loadOrCreateSigningKey } from "./keys/signing-key-file.ts";
import { createServices, type Services } from "./services.ts";
import { createHttpApp, type HttpObserver } from "./http/app.ts";
import { createAuthenticator } from "./http/auth.ts";
import { registerRoutes } from "./api/routes.ts";
import type { HttpBindings } from "./http/context.ts";
import { publicKeyBase64 } from "./matrix/signing.ts";

export interface HomeserverOptions {
  /** A fake clock in tests; the real one otherwise. */
  clock?: Clock;
  /** Process-level logging, set up once by main or the test harness. */
  logging?: LoggingSetup;
  /** Open the configured listeners (default true). Tests serve `fetch` themselves. */
  listen?: boolean;
  /** How long stop() lets in-flight requests finish. */
  shutdownGraceMs?: number;
}

export interface Homeserver {
  readonly serverName: string;
  readonly config: HomeserverConfig;
  readonly clock: Clock;
  /** Available once start() has resolved. */
  readonly services: Services;
  readonly httpObservers: Set<HttpObserver>;
  /** The addresses the listeners bound, e.g. for logs and tests. */
  readonly boundAddresses: Array<{ host: string; port: number; type: string }>;
  start(): Promise<void>;
  stop(): Promise<void>;
  fetch(request: Request, server?: Server<unknown>, bindings?: HttpBindings): Promise<Response>;
}

const log = () => getLogger(["hearth", "homeserver"]);
const defaultLogging: LoggingSetup = { isExplicitlyConfigured: () => false };

/** Builds one homeserver from its config. All of its state lives in the returned object. */
export function createHomeserver(config: HomeserverConfig, opts: HomeserverOptions = {}): Homeserver {
  const serverName = config.server_name;
  const clock = opts.clock ?? createRealClock(serverName);
  const background = new BackgroundProcesses(serverName);
  const httpObservers = new Set<HttpObserver>();
  const servers: Server<unknown>[] = [];
  const boundAddresses: Homeserver["boundAddresses"] = [];
  let database: Database | undefined;
  let services: Services | undefined;
  let appFetch: ((req: Request, env: HttpBindings) => Response | Promise<Response>) | undefined;
  let profiling: LoopingCall | undefined;
  let state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";

  const inStartup = <T>(fn: () => Promise<T>) => runInLogContext({ server_name: serverName, request: "startup" }, fn);

  async function start(): Promise<void> {
    if (state !== "new") throw new Error(`homeserver ${serverName} cannot start: it is ${state}`);
    state = "starting";
    await inStartup(async () => {
      try {
        database = await openDatabase(config.database);
        const migrated = await migrateDatabase(database, clock.now());
        if (migrated.applied.length > 0) log().info("Applied database migrations: {tags}", { tags: migrated.applied.join(", ") });
        const { key, created } = loadOrCreateSigningKey(config.signing_key_path);
        if (created) log().info("Generated a new signing key {keyId} at {path}", { keyId: key.keyId, path: config.signing_key_path });
        const keys = database.tables.serverSigningKeys;
        await database.transaction("store_server_key", (tx) =>
          tx.insert(keys).values({ keyId: key.keyId, publicKey: publicKeyBase64(key), createdTs: clock.now() }).onConflictDoNothing(),
        );
        services = await createServices({
          config,
          clock,
          database,
          background,
          logging: opts.logging ?? defaultLogging,
          signingKey: key,
        });
        const { app, router } = createHttpApp({
          serverName,
          clock,
          observers: httpObservers,
          authenticate: createAuthenticator((token) => services!.accessTokens.resolve(token)),
        });
        registerRoutes(router, services);
        appFetch = (req, env) => app.fetch(req, env);
        if (opts.listen !== false) listen(config.listeners);
        clock.start();
        profiling = startDbProfiling(clock, database.stats);
        background.start();
        state = "running";
      } catch (err) {
        await release();
        state = "stopped";
        throw err;
      }
    });
  }

  function listen(listeners: ListenerConfig[]): void {
    for (const l of listeners) {
      if (l.type !== "http") {
        log().warn("Listener type {type} on port {port} is not served yet", { type: l.type, port: l.port });
        continue;
      }
      for (const host of l.bind_addresses) {
        try {
          const server = Bun.serve({
            hostname: host,
            port: l.port,
            // Long-polling /sync holds requests open; Bun's default idle timeout is 10 s.
            idleTimeout: 255,
            fetch: (req, srv) => homeserver.fetch(req, srv, { xForwarded: l.x_forwarded }),
          });
          servers.push(server);
          boundAddresses.push({ host, port: server.port ?? l.port, type: l.type });
          log().info("Listening on http://{host}:{port}", { host: host.includes(":") ? `[${host}]` : host, port: server.port });
        } catch (err) {
          // '::' usually also binds IPv4, so a following '0.0.0.0' on the same port fails harmlessly.
          if (servers.length > 0 && (host === "0.0.0.0" || host === "::")) {
            log().debug("Skipping {host}:{port}: {error}", { host, port: l.port, error: String(err) });
            continue;
          }
          throw new Error(`cannot listen on ${host}:${l.port}: ${(err as Error).message}`);
        }
      }
    }
  }

  async function release(): Promise<void> {
    profiling?.stop();
    clock.shutdown();
    await background.shutdown();
    for (const fn of services?.onStop ?? []) {
      try {
        await fn();
      } catch (err) {
        log().warn("Error while stopping: {error}", { error: err });
      }
    }
    await database?.close();
  }

  async function stop(): Promise<void> {
    if (state === "stopped" || state === "stopping") return;
    state = "stopping";
    await runInLogContext({ server_name: serverName, request: "shutdown" }, async () => {
      const grace = opts.shutdownGraceMs ?? 10_000;
      await Promise.all(
        servers.map(async (s) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const graceful = s.stop(false);
          const forced = new Promise<void>((r) => (timer = setTimeout(() => void s.stop(true).then(r), grace)));
          await Promise.race([graceful, forced]);
          clearTimeout(timer);
        }),
      );
      servers.length = 0;
      await release();
      log().info("Homeserver stopped");
    });
    state = "stopped";
  }

  const homeserver: Homeserver = {
    serverName,
    config,
    clock,
    httpObservers,
    boundAddresses,
    get services(): Services {
      if (!services) throw new Error(`homeserver ${serverName} has not started`);
      return services;
    },
    start,
    stop,
    async fetch(request, server, bindings = {}) {
      if (!appFetch || state !== "running") {
        return Response.json({ errcode: "M_UNKNOWN", error: "Server is not running" }, { status: 503 });
      }
      const remoteAddress = bindings.remoteAddress ?? server?.requestIP(request)?.address;
      return appFetch(request, { ...bindings, remoteAddress });
    },
  };
  return homeserver;
}
