import type { HttpObserver } from "../../http/app.ts";
import type { BackgroundProcesses } from "../background.ts";
import type { TransactionStats } from "../../storage/transaction-stats.ts";
import { processCpuShare, purgeServerSeries, serverNameInfo } from "./registry.ts";
import { perServerCollectors } from "./collector.ts";
import { LaterGauge, unregisterLaterGaugeHooks, type LaterGaugeHook } from "./later-gauge.ts";
import { registerCacheMetrics, type CacheStats, type CacheType } from "./cache-metrics.ts";
import { addBeforeScrapeHook } from "./exposition.ts";
import { HttpMetrics, inFlightRequestsGauge } from "./http-metrics.ts";
import { BackgroundMetrics } from "./background-metrics.ts";
import { watchTransactions } from "./db-metrics.ts";
import {
  backgroundUpdateStatus,
  notifierListeners,
  notifierRooms,
  notifierUsers,
  pyBool,
  schedulerRunningTasks,
  UpdaterStatus,
  userLogins,
  userRegistrations,
} from "./feature-metrics.ts";

/** What services see of the metrics: the per-homeserver registration points. */
export interface HomeserverMetrics {
  readonly serverName: string;
  /** The homeserver object's random id; LaterGauge hooks are keyed by it. */
  readonly instanceId: string;
  /**
   * Registers this homeserver's hook on a LaterGauge, replacing the
   * placeholder (value 0) the homeserver put there at start. Registering a
   * second hook on the same gauge throws. Unregistered automatically at stop.
   */
  registerLaterGaugeHook(gauge: LaterGauge, hook: LaterGaugeHook): () => void;
  /** Reports a cache as synapse_util_caches_*{name, server_name}; unregistered automatically at stop. */
  registerCache(name: string, stats: () => CacheStats, opts?: { type?: CacheType }): () => void;
}

/**
 * Homeserver objects running per server_name. Process-wide on purpose: two
 * instances may share a server_name (workers, or a restart in tests), and the
 * series of a name are removed only when the last one stops.
 */
const instancesByServer = new Map<string, number>();

/** Zero until the services register their real hooks (feature-hooks.ts), e.g. while a homeserver starts. */
const PLACEHOLDER_GAUGES = [notifierListeners, notifierRooms, notifierUsers, schedulerRunningTasks];

/** Everything one homeserver instance adds to the process-wide metrics, released again by close(). */
export class HomeserverMetricsScope implements HomeserverMetrics {
  readonly http: HttpMetrics;
  readonly #background: BackgroundMetrics;
  readonly #placeholders = new Set<LaterGauge>();
  readonly #releases: Array<() => void> = [];
  #closed = false;

  constructor(
    readonly serverName: string,
    readonly instanceId: string,
  ) {
    instancesByServer.set(serverName, (instancesByServer.get(serverName) ?? 0) + 1);
    serverNameInfo.set({ server_name: serverName }, 1);
    this.http = new HttpMetrics(serverName);
    this.#background = new BackgroundMetrics(serverName, processCpuShare);
    this.#releases.push(() => this.#background.close());
    this.#releases.push(addBeforeScrapeHook(() => {
      this.http.beforeScrape();
      this.#background.beforeScrape();
    }));
    this.#registerHook(inFlightRequestsGauge, () => this.http.inFlightCounts());
    for (const g of PLACEHOLDER_GAUGES) {
      this.#registerHook(g, () => 0);
      this.#placeholders.add(g);
    }
    // Password logins and registrations have auth_provider "" (Synapse initialises these series at start).
    for (const guest of [true, false]) {
      userLogins.inc({ guest: pyBool(guest), auth_provider: "", server_name: serverName }, 0);
      for (const shadowBanned of [true, false]) {
        userRegistrations.inc({ guest: pyBool(guest), shadow_banned: pyBool(shadowBanned), auth_provider: "", server_name: serverName }, 0);
      }
    }
  }

  get httpObserver(): HttpObserver {
    return this.http.observer;
  }

  /** Transaction metrics and background-update status of one database (Synapse names the main one "master"). */
  watchDatabase(stats: TransactionStats, databaseName = "master"): void {
    this.#releases.push(watchTransactions(this.serverName, stats));
    // Hearth applies its migrations before serving, so there are never background updates pending.
    this.#registerHook(backgroundUpdateStatus, () => [{ labels: { database_name: databaseName }, value: UpdaterStatus.COMPLETE }]);
  }

  watchBackground(background: BackgroundProcesses): void {
    this.#releases.push(background.observe(this.#background.observer));
  }

  registerLaterGaugeHook(gauge: LaterGauge, hook: LaterGaugeHook): () => void {
    if (this.#placeholders.delete(gauge)) gauge.unregisterHooksForInstance(this.instanceId);
    return this.#registerHook(gauge, hook);
  }

  registerCache(name: string, stats: () => CacheStats, opts?: { type?: CacheType }): () => void {
    this.#assertOpen();
    const unregister = registerCacheMetrics(this.serverName, name, stats, opts);
    this.#releases.push(unregister);
    return unregister;
  }

  /** Removes every hook, collector and listener of this instance, and the server's series if it was the last instance. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unregisterLaterGaugeHooks(this.instanceId);
    for (const release of this.#releases.splice(0)) release();
    const left = (instancesByServer.get(this.serverName) ?? 1) - 1;
    if (left > 0) {
      instancesByServer.set(this.serverName, left);
      return;
    }
    instancesByServer.delete(this.serverName);
    purgeServerSeries(this.serverName);
    for (const c of perServerCollectors) c.removeServer(this.serverName);
  }

  #registerHook(gauge: LaterGauge, hook: LaterGaugeHook): () => void {
    this.#assertOpen();
    gauge.registerHook({ instanceId: this.instanceId, serverName: this.serverName, hook });
    return () => gauge.unregisterHooksForInstance(this.instanceId);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`metrics of homeserver ${this.serverName} (${this.instanceId}) are closed: it has stopped`);
  }
}

/** Homeserver instances currently holding metrics, over all server names (leak tests use this). */
export function liveMetricsScopes(): number {
  let n = 0;
  for (const c of instancesByServer.values()) n += c;
  return n;
}
