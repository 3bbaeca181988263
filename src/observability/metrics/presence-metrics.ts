import { counter, SERVER_NAME_LABEL } from "./registry.ts";

/**
 * Synapse's presence handler counters (synapse/handlers/presence.py), which its
 * Grafana dashboard's presence row plots. Defined once per process; the
 * presence service increments them with its homeserver's server_name.
 */
const S = SERVER_NAME_LABEL;

/** Presence updates handled (each change the presence service applies). */
export const presenceUpdates = counter("synapse_handler_presence_presence_updates_total", "", [S]);

/**
 * Why an update was sent to interested users: `status_msg_change`, `state_change`,
 * `current_active_change`, `last_active_change_online` or `last_active_change_not_online`;
 * `locality` is `local` or `remote`.
 */
export const presenceNotifyReason = counter("synapse_handler_presence_notify_reason_total", "", ["locality", "reason", S]);

/** Changes of presence state, `from` → `to` (online, unavailable, offline). */
export const presenceStateTransitions = counter("synapse_handler_presence_state_transition_total", "", ["locality", "from", "to", S]);

/** Activity that moved a user's last_active (sent an event, typed, read). */
export const presenceBumpActiveTime = counter("synapse_handler_presence_bump_active_time_total", "", [S]);
