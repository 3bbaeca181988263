import type { Clock } from "../clock.ts";
import type { BackgroundProcesses } from "../background.ts";
import type { PersistedEvent } from "../../rooms/event-writer.ts";
import type { HomeserverMetrics } from "./homeserver-metrics.ts";
import type { CacheStats } from "./cache-metrics.ts";
import { addBeforeScrapeHook } from "./exposition.ts";
import {
  eventPersistedPosition,
  eventsPersisted,
  eventsPersistedByType,
  forwardExtremities,
  forwardExtremitiesPersisted,
  notifierListeners,
  notifierRooms,
  notifierUsers,
  pyBool,
  rateLimitRejections,
  schedulerRunningTasks,
  userLogins,
  userRegistrations,
} from "./feature-metrics.ts";

/** Synapse re-reads every room's forward extremities hourly. */
export const FORWARD_EXTREMITIES_REFRESH_MS = 60 * 60 * 1000;

/** The event types Synapse counts by name in synapse_storage_events_persisted_events_sep (others are "*other*"). */
const TRACKED_EVENT_TYPES = new Set([
  "m.room.message",
  "m.room.encrypted",
  "m.room.member",
  "m.room.third_party_invite",
  "m.room.redaction",
  "m.room.create",
  "m.room.tombstone",
]);

/**
 * The background processes that are Synapse TaskScheduler tasks (admin room
 * deletion and history purges; see src/admin/), for synapse_scheduler_running_tasks.
 */
export const SCHEDULED_TASK_PROCESSES: ReadonlySet<string> = new Set(["purge_room", "purge_history"]);

interface Subscribable<T> {
  add(fn: (event: T) => unknown): () => void;
}

/** What the feature metrics read, as narrow views of the services (so this file needs none of them). */
export interface FeatureMetricSources {
  serverName: string;
  metrics: HomeserverMetrics;
  clock: Clock;
  background: BackgroundProcesses;
  /** Every user created through the registration service (client, shared-secret and admin API). */
  userRegistered: Subscribable<{ guest: boolean }>;
  /** Every session issued (login, or a registration that logs in). */
  sessionCreated: Subscribable<{ guest: boolean }>;
  notifier: { readonly waiting: number; readonly watchedRooms: number; readonly watchedUsers: number };
  /** The rooms' write queue: hears of each committed submission. */
  persisted: { observe(fn: (events: PersistedEvent[]) => void): () => void };
  forwardExtremityCounts(): Promise<Map<string, number>>;
  /** Caches to report as synapse_util_caches_*, by name. */
  caches: Record<string, () => CacheStats>;
}

/**
 * Connects a homeserver's features to the process-wide metrics: counters fed
 * by the features' events, LaterGauge hooks and caches read at scrape time.
 * Hooks and caches go through `metrics` (released when it closes); returns
 * the function that removes the rest.
 */
export function watchFeatures(src: FeatureMetricSources): () => void {
  const server_name = src.serverName;
  const releases: Array<() => void> = [];

  // Synapse counts registrations in register_user and logins in register_device; auth_provider "" is password/local.
  releases.push(src.userRegistered.add((e) => {
    userRegistrations.inc({ guest: pyBool(e.guest), shadow_banned: pyBool(false), auth_provider: "", server_name });
  }));
  releases.push(src.sessionCreated.add((e) => userLogins.inc({ guest: pyBool(e.guest), auth_provider: "", server_name })));

  const notifier = src.notifier;
  src.metrics.registerLaterGaugeHook(notifierListeners, () => notifier.waiting);
  src.metrics.registerLaterGaugeHook(notifierRooms, () => notifier.watchedRooms);
  src.metrics.registerLaterGaugeHook(notifierUsers, () => notifier.watchedUsers);

  let runningTasks = 0;
  releases.push(src.background.observe({
    started(desc) {
      if (SCHEDULED_TASK_PROCESSES.has(desc)) runningTasks++;
    },
    finished(desc) {
      if (SCHEDULED_TASK_PROCESSES.has(desc)) runningTasks--;
    },
  }));
  src.metrics.registerLaterGaugeHook(schedulerRunningTasks, () => runningTasks);

  for (const [name, stats] of Object.entries(src.caches)) src.metrics.registerCache(name, stats);

  const extremities = new ForwardExtremityCounts(server_name);
  releases.push(addBeforeScrapeHook(() => extremities.publish()));
  const refresh = async () => extremities.replace(await src.forwardExtremityCounts());
  void src.background.run("read_forward_extremities", refresh);
  const loop = src.clock.loopingCall(FORWARD_EXTREMITIES_REFRESH_MS, () => void src.background.run("read_forward_extremities", refresh), {
    name: "read_forward_extremities",
  });
  releases.push(() => loop.stop());

  const suffix = `:${server_name}`;
  const persistedTotal = eventsPersisted.series(server_name, []);
  // The highest position persisted, published when scraped (not on every batch).
  let position = 0;
  releases.push(addBeforeScrapeHook(() => void (position > 0 && eventPersistedPosition.set({ server_name }, position))));
  releases.push(src.persisted.observe((events) => {
    if (events.length === 0) return;
    persistedTotal.value += events.length;
    for (const e of events) {
      const { type, sender } = e.built.row;
      eventsPersistedByType.series(server_name, [TRACKED_EVENT_TYPES.has(type) ? type : "*other*", sender.endsWith(suffix) ? "local" : "remote"]).value++;
      position = Math.max(position, e.streamOrdering);
    }
    // A submission's events are in one room; the last one's extremities are the room's now.
    const last = events.at(-1)!;
    forwardExtremitiesPersisted.observe(server_name, last.built.extremitiesAfter.length);
    extremities.set(last.roomId, last.built.extremitiesAfter.length);
  }));

  return () => {
    for (const release of releases.splice(0)) release();
  };
}

/** A rate limiter's `onReject` for this homeserver: counts refusals as synapse_rate_limit_reject_total. */
export function countRateLimitRejections(serverName: string): (limiterName: string) => void {
  return (rate_limiter_name) => rateLimitRejections.inc({ rate_limiter_name, server_name: serverName });
}

/**
 * Forward extremities per room: read from the database at start and hourly,
 * kept current by every commit in between, and handed to the
 * synapse_forward_extremities collector before a scrape when changed.
 */
class ForwardExtremityCounts {
  #byRoom = new Map<string, number>();
  #changed = false;

  constructor(private readonly serverName: string) {}

  set(roomId: string, count: number): void {
    if (this.#byRoom.get(roomId) === count) return;
    this.#byRoom.set(roomId, count);
    this.#changed = true;
  }

  replace(counts: Map<string, number>): void {
    this.#byRoom = counts;
    this.#changed = true;
  }

  publish(): void {
    if (!this.#changed) return;
    this.#changed = false;
    forwardExtremities.update(this.serverName, this.#byRoom.values());
  }
}
