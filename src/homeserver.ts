import { getLogger } from "@logtape/logtape";
import type { Server } from "bun";
import type { HomeserverConfig, ListenerConfig } from "./config/load.ts";
import { createRealClock, type Clock, type LoopingCall } from "./observability/clock.ts";
import { BackgroundProcesses } from "./observability/background.ts";
import { runInLogContext } from "./observability/log-context.ts";
import { startDbProfiling } from "./observability/db-profiling.ts";
import { startSqliteOptimize } from "./storage/sqlite-optimize.ts";
import type { LoggingSetup } from "./observability/logging.ts";
import { openDatabase, type Database } from "./storage/database.ts";
import { migrateDatabase } from "./storage/migrate.ts";
import { loadOrCreateSigningKey } from "./keys/signing-key-file.ts";
import { createServices, type Services } from "./services.ts";
import { createHttpApp, type HttpObserver } from "./http/app.ts";
import { createAuthenticator } from "./http/auth.ts";
import { TurnGate } from "./http/turn-gate.ts";
import { IdlePoll } from "./http/idle-poll.ts";
import { registerRoutes } from "./api/routes.ts";
import type { HttpBindings } from "./http/context.ts";
import { publicKeyBase64 } from "./matrix/signing.ts";
import { HomeserverMetricsScope } from "./observability/metrics/homeserver-metrics.ts";
import { processCpuShare } from "./observability/metrics/registry.ts";
import { maybeServeMetrics, metricsResource, metricsResponse } from "./http/metrics-route.ts";

export interface HomeserverOptions {
  /** A fake clock in tests; the real one otherwise. */
  clock?: Clock;
  /** Process-level logging, set up once by main or the test harness. */
  logging?: LoggingSetup;
  /** Open the configured listeners (default true). Tests serve `fetch` themselves. */
  listen?: boolean;
  /** How long stop() lets in-flight requests finish. */
  shutdownGraceMs?: number;
  /** Listeners shared with the other homeservers of the process (routing by Host); a private one otherwise. */
  listenerHub?: ListenerHub;
}

export interface Homeserver {
  readonly serverName: string;
  /** Random per-object id (Synapse's instance id): metric hooks are keyed by it, not by server_name. */
  readonly instanceId: string;
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
  const instanceId = randomInstanceId();
  const hub = opts.listenerHub ?? new ListenerHub(opts.shutdownGraceMs);
  const detachListeners: Array<() => Promise<void>> = [];
  let metrics: HomeserverMetricsScope | undefined;
  const boundAddresses: Homeserver["boundAddresses"] = [];
  let database: Database | undefined;
  let services: Services | undefined;
  let appFetch: ((req: Request, env: HttpBindings) => Response | Promise<Response>) | undefined;
  const turnGate = new TurnGate(() => services?.notifier.waiting ?? 0);
  const idlePoll = new IdlePoll(config.idle_poll_us);
  let profiling: LoopingCall | undefined;
  let optimizing: LoopingCall | undefined;
  let state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";

  const inStartup = <T>(fn: () => Promise<T>) => runInLogContext({ server_name: serverName, request: "startup" }, fn);

  async function start(): Promise<void> {
    if (state !== "new") throw new Error(`homeserver ${serverName} cannot start: it is ${state}`);
    state = "starting";
    await inStartup(async () => {
      try {
        metrics = new HomeserverMetricsScope(serverName, instanceId);
        database = await openDatabase(config.database);
        metrics.watchDatabase(database.stats);
        metrics.watchBackground(background);
        httpObservers.add(metrics.httpObserver);
        const migrated = await migrateDatabase(database, clock.now());
        // Migrations fill SQLite's page cache with pages an idle server never reads again.
        if (database.dialect === "sqlite") await database.queryRaw("PRAGMA shrink_memory");
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
          metrics,
          turnGate,
        });
        const { app, router } = createHttpApp({
          serverName,
          clock,
          observers: httpObservers,
          cpu: processCpuShare,
          authenticate: createAuthenticator((token) => services!.tokenResolver.resolve(token)),
        });
        registerRoutes(router, services);
        appFetch = (req, env) => app.fetch(req, env);
        if (opts.listen !== false) listen(config.listeners);
        clock.start();
        profiling = startDbProfiling(clock, database.stats);
        optimizing = await startSqliteOptimize(clock, database);
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
      let member: ListenerMember;
      if (l.type === "metrics") {
        if (!config.enable_metrics) {
          log().warn("Metrics listener configured, but enable_metrics is not True!");
          continue;
        }
        // Like Synapse's metrics listener: the metrics on any path, whatever the Host.
        member = { serverName, hosts: [], anyHost: true, fetch: (req) => metricsResponse(req, { compress: true }) };
      } else {
        const resource = metricsResource(l.resources);
        const serveMetrics = resource.enabled && config.enable_metrics;
        member = {
          serverName,
          hosts: homeserverHosts(config),
          anyHost: false,
          fetch: (req, srv) =>
            (serveMetrics && maybeServeMetrics(req, { compress: resource.compress })) ||
            homeserver.fetch(req, srv, { xForwarded: l.x_forwarded }),
        };
      }
      let bound = 0;
      for (const host of l.bind_addresses) {
        try {
          const attached = hub.attach(host, l.port, member);
          detachListeners.push(attached.detach);
          bound++;
          boundAddresses.push({ host, port: attached.port, type: l.type });
          const shown = host.includes(":") ? `[${host}]` : host;
          if (l.type === "metrics") log().info("Starting metrics listener on {host}:{port}", { host: shown, port: attached.port });
          else log().info("Listening on http://{host}:{port}{shared}", { host: shown, port: attached.port, shared: attached.shared ? " (shared)" : "" });
        } catch (err) {
          // '::' usually also binds IPv4, so a following '0.0.0.0' on the same port fails harmlessly.
          if (bound > 0 && (host === "0.0.0.0" || host === "::")) {
            log().debug("Skipping {host}:{port}: {error}", { host, port: l.port, error: String(err) });
            continue;
          }
          throw new Error(`cannot listen on ${host}:${l.port}: ${(err as Error).message}`);
        }
      }
    }
  }

  async function release(): Promise<void> {
    await Promise.all(detachListeners.splice(0).map((detach) => detach()));
    profiling?.stop();
    optimizing?.stop();
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
    if (metrics) httpObservers.delete(metrics.httpObserver);
    metrics?.close();
  }

  async function stop(): Promise<void> {
    if (state === "stopped" || state === "stopping") return;
    state = "stopping";
    await runInLogContext({ server_name: serverName, request: "shutdown" }, async () => {
      await release();
      log().info("Homeserver stopped");
    });
    state = "stopped";
  }

  const homeserver: Homeserver = {
    serverName,
    instanceId,
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
      idlePoll.requestArrived();
      const remoteAddress = bindings.remoteAddress ?? server?.requestIP(request)?.address;
      try {
        const gate = turnGate.enter();
        if (gate) await gate;
        if (!appFetch || state !== "running") {
          return Response.json({ errcode: "M_UNKNOWN", error: "Server is not running" }, { status: 503 });
        }
        return await appFetch(request, { ...bindings, remoteAddress });
      } finally {
        turnGate.leave();
        idlePoll.responded();
      }
    },
  };
  return homeserver;
}

function randomInstanceId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  return Array.from(crypto.getRandomValues(new Uint8Array(5)), (b) => alphabet[b % alphabet.length]).join("");
}

/** The host names (no port, lower case) a Host header may carry for this homeserver. */
export function homeserverHosts(config: Pick<HomeserverConfig, "server_name" | "public_baseurl">): string[] {
  return [...new Set([hostnameOf(config.server_name), hostnameOf(new URL(config.public_baseurl).host)].filter((h) => h !== undefined))];
}

function hostnameOf(hostAndPort: string | null | undefined): string | undefined {
  if (!hostAndPort) return undefined;
  try {
    return new URL(`http://${hostAndPort}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** One homeserver's use of a listening address. */
export interface ListenerMember {
  serverName: string;
  /** Host names it answers for when the address is shared. */
  hosts: string[];
  /** Answers any Host (metrics listeners: every homeserver would serve the same scrape). */
  anyHost: boolean;
  fetch(req: Request, server: Server<unknown>): Response | Promise<Response>;
}

/**
 * The listening sockets of the process. The first homeserver to name an
 * address starts a Bun.serve there; others naming the same address join it,
 * and requests are then routed by Host to the homeserver whose server_name or
 * public_baseurl host matches (404 M_UNRECOGNIZED otherwise). The server
 * stops when its last homeserver leaves.
 */
export class ListenerHub {
  readonly #servers = new Map<string, { server: Server<unknown>; members: Set<ListenerMember> }>();

  constructor(private readonly graceMs = 10_000) {}

  attach(host: string, port: number, member: ListenerMember): { port: number; shared: boolean; detach(): Promise<void> } {
    // Port 0 asks for a fresh ephemeral port, so it never names a shared address.
    const key = port === 0 ? undefined : `${host}|${port}`;
    let entry = key ? this.#servers.get(key) : undefined;
    if (!entry) {
      const members = new Set<ListenerMember>();
      const server = Bun.serve({
        hostname: host,
        port,
        // Long-polling /sync holds requests open; Bun's default idle timeout is 10 s.
        idleTimeout: 255,
        fetch: (req, srv) => {
          const target = routeByHost(members, req.headers.get("host"));
          if (target) return target.fetch(req, srv);
          return Response.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, { status: 404 });
        },
      });
      entry = { server, members };
      if (key) this.#servers.set(key, entry);
    }
    const { server, members } = entry;
    members.add(member);
    return {
      port: server.port ?? port,
      shared: members.size > 1,
      detach: async () => {
        if (!members.delete(member) || members.size > 0) return;
        if (key && this.#servers.get(key)?.server === server) this.#servers.delete(key);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const forced = new Promise<void>((r) => (timer = setTimeout(() => void server.stop(true).then(r), this.graceMs)));
        await Promise.race([server.stop(false), forced]);
        clearTimeout(timer);
      },
    };
  }

  /** Addresses with a running server (tests check that stopped homeservers release theirs). */
  get size(): number {
    return this.#servers.size;
  }
}

/** The member a request is for: the only one, else the one whose hosts contain the Host header's name. */
export function routeByHost(members: Set<ListenerMember>, hostHeader: string | null): ListenerMember | undefined {
  if (members.size === 1) return members.values().next().value;
  const host = hostnameOf(hostHeader);
  let fallback: ListenerMember | undefined;
  for (const m of members) {
    if (host && m.hosts.includes(host)) return m;
    if (m.anyHost) fallback ??= m;
  }
  return fallback;
}
