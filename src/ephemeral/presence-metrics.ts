import { serverNameOf } from "../matrix/identifiers.ts";
import {
  presenceBumpActiveTime,
  presenceNotifyReason,
  presenceStateTransitions,
  presenceUpdates,
} from "../observability/metrics/presence-metrics.ts";
import type { PresenceRow } from "../storage/stores/presence.ts";

export type PresenceNotifyReason =
  | "status_msg_change"
  | "state_change"
  | "current_active_change"
  | "last_active_change_online"
  | "last_active_change_not_online";

/** What the presence service reports about its work (metrics hang off this). */
export interface PresenceObserver {
  /** A presence was written; `prev` is undefined when the user had none. */
  updated(prev: PresenceRow | undefined, next: PresenceRow): void;
  /** Activity of a user was seen. */
  bumped(userId: string): void;
}

/**
 * Why a change of presence is news to others, as Synapse decides it
 * (should_notify): a new status message, a new state, and for online users a
 * change of currently_active or a last_active that moved by more than the
 * granularity while not currently active; for others any such move.
 * Undefined when the change is not worth telling. A user without a presence
 * counts as offline, never active.
 */
export function presenceNotifyReasonOf(prev: PresenceRow | undefined, next: PresenceRow, granularityMs: number): PresenceNotifyReason | undefined {
  const before = prev ?? { state: "offline", statusMsg: null, currentlyActive: false, lastActiveTs: 0 };
  if (before.statusMsg !== next.statusMsg) return "status_msg_change";
  if (before.state !== next.state) return "state_change";
  const moved = next.lastActiveTs - before.lastActiveTs > granularityMs;
  if (before.state === "online") {
    if (before.currentlyActive !== next.currentlyActive) return "current_active_change";
    if (moved && !next.currentlyActive) return "last_active_change_online";
    return undefined;
  }
  return moved ? "last_active_change_not_online" : undefined;
}

/** Synapse's synapse_handler_presence_* counters for one homeserver. */
export function presenceMetricsObserver(serverName: string, granularityMs: number): PresenceObserver {
  const locality = (userId: string) => (serverNameOf(userId) === serverName ? "local" : "remote");
  return {
    updated(prev, next) {
      presenceUpdates.inc({ server_name: serverName });
      const reason = presenceNotifyReasonOf(prev, next, granularityMs);
      if (!reason) return;
      const where = locality(next.userId);
      presenceNotifyReason.inc({ locality: where, reason, server_name: serverName });
      if (reason === "state_change") {
        presenceStateTransitions.inc({ locality: where, from: prev?.state ?? "offline", to: next.state, server_name: serverName });
      }
    },
    bumped() {
      presenceBumpActiveTime.inc({ server_name: serverName });
    },
  };
}
