import { counter, gauge, SERVER_NAME_LABEL } from "./registry.ts";
import { GaugeBucketCollector } from "./bucket-collector.ts";
import { LaterGauge } from "./later-gauge.ts";
import { ServerCounter, ServerHistogram } from "./server-histogram.ts";

/**
 * Metrics of features, defined once per process with Synapse's names and
 * labels. Feature code increments them with its homeserver's server_name:
 *   userRegistrations.inc({ guest: pyBool(false), shadow_banned: pyBool(false), auth_provider: "", server_name })
 * The homeserver removes its series when it stops.
 */
const S = SERVER_NAME_LABEL;

/** Python renders label booleans as True/False; dashboards filter on those spellings. */
export const pyBool = (b: boolean): "True" | "False" => (b ? "True" : "False");

export const userRegistrations = counter("synapse_user_registrations_total", "Number of new users registered (since restart)", [
  "guest",
  "shadow_banned",
  "auth_provider",
  S,
]);

export const userLogins = counter("synapse_user_logins_total", "Number of user logins (since restart)", ["guest", "auth_provider", S]);

export const invalidLoginTokens = counter(
  "synapse_user_login_invalid_login_tokens_total",
  "Counts the number of rejected m.login.token on /login",
  ["reason", S],
);

// Updated with every persisted batch: cached series, not prom-client's label hashing.
export const eventsPersisted = new ServerCounter({ name: "synapse_storage_events_persisted_events_total", help: "Events persisted", labels: [] });

/** `type` is the event type, or "*other*" for types not tracked; `origin_type` is "local" or "remote". */
export const eventsPersistedByType = new ServerCounter({
  name: "synapse_storage_events_persisted_events_sep_total",
  help: "Events persisted, by type and origin",
  labels: ["type", "origin_type"],
});

/** Requests a rate limiter rejected (Synapse counts these for its federation limiter; Hearth for every limiter). */
/** The highest event stream position persisted. */
export const eventPersistedPosition = gauge("synapse_event_persisted_position", "", [S]);

/** Forward extremities of a room after each persisted batch of its events. */
export const forwardExtremitiesPersisted = new ServerHistogram({
  name: "synapse_storage_events_forward_extremities_persisted",
  help: "Number of forward extremities for each new event",
  buckets: [1, 2, 3, 5, 7, 10, 15, 20, 50, 100, 200, 500],
});

export const rateLimitRejections = counter("synapse_rate_limit_reject_total", "Number of requests rejected by the rate limiter", [
  "rate_limiter_name",
  S,
]);

export const rateLimitSleeps = counter("synapse_rate_limit_sleep_total", "Number of requests slept by the rate limiter", [
  "rate_limiter_name",
  S,
]);

/** Users woken by a new event on `stream` (the notifier's stream name, e.g. "events", "typing"). */
export const notifierUsersWokenByStream = counter("synapse_notifier_users_woken_by_stream_total", "Users woken, by stream", ["stream", S]);

// synapse_api_auth_delegated_introspection_response lives with the MAS code (src/mas/metrics.ts).

/** `.update(serverName, extremityCountPerRoom)` whenever the counts are recomputed. */
export const forwardExtremities = new GaugeBucketCollector({
  name: "synapse_forward_extremities",
  help: "Number of rooms on the server with the given number of forward extremities or fewer",
  buckets: [1, 2, 3, 5, 7, 10, 15, 20, 50, 100, 200, 500],
});

export const excessExtremityEvents = new GaugeBucketCollector({
  name: "synapse_excess_extremity_events",
  help: "Number of rooms on the server with the given number of excess extremity events, or fewer",
  buckets: [0, ...Array.from({ length: 12 }, (_, n) => 2 ** n)],
});

// LaterGauges whose hooks the homeserver registers at start (placeholders until the feature exists).
export const notifierListeners = new LaterGauge({ name: "synapse_notifier_listeners", help: "", labelNames: [S] });
export const notifierRooms = new LaterGauge({ name: "synapse_notifier_rooms", help: "", labelNames: [S] });
export const notifierUsers = new LaterGauge({ name: "synapse_notifier_users", help: "", labelNames: [S] });
export const schedulerRunningTasks = new LaterGauge({
  name: "synapse_scheduler_running_tasks",
  help: "The number of concurrent running tasks handled by the TaskScheduler",
  labelNames: [S],
});
export const backgroundUpdateStatus = new LaterGauge({
  name: "synapse_background_update_status",
  help: "Background update status",
  labelNames: ["database_name", S],
});

/** Synapse's UpdaterStatus values for synapse_background_update_status. */
export const UpdaterStatus = { ABORTED: -1, DISABLED: 0, NOT_STARTED: 1, RUNNING_UPDATE: 2, COMPLETE: 3 } as const;
