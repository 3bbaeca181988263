/**
 * The plug-in point for parts of /sync that other modules own.
 *
 * E2EE fills `to_device`, `device_lists`, `device_one_time_keys_count` and
 * `device_unused_fallback_key_types` through a SyncExtension:
 *
 *   services.sync.registerExtension({
 *     name: "e2ee",
 *     async contribute(ctx) {
 *       const messages = await inbox.upTo(ctx.userId, ctx.deviceId, ctx.upTo.to_device, ctx.since?.to_device);
 *       return { fields: { to_device: { events: messages } }, hasNews: messages.length > 0 };
 *     },
 *   });
 *
 * The extension's streams are positions in the sync token (`to_device`,
 * `device_lists`). Their positions at start-up are read from the
 * `stream_positions` rows of the same names; after each commit the owner calls
 *
 *   services.sync.streams.changed("to_device", position, { users: [userId] });
 *   services.sync.streams.changed("device_lists", position, { users: [...interested] });
 *
 * which moves the stream's current position and wakes those users' long-polls.
 * `ctx.upTo` is the token the response covers: answer up to `ctx.upTo[stream]`
 * and no further (the response's next_batch carries it), from
 * `ctx.since?.[stream]` exclusive (undefined on initial sync).
 */
import type { SyncToken } from "./token.ts";

export interface SyncExtensionContext {
  userId: string;
  deviceId: string | null;
  /** The since token; undefined on an initial sync. */
  since: SyncToken | undefined;
  /** What this response covers up to. */
  upTo: SyncToken;
  fullState: boolean;
  /**
   * The user's rooms, once the rooms section has read them. Extensions run alongside the
   * rooms section: one that does not call this does not wait for it.
   */
  rooms(): Promise<SyncRoomsInfo>;
}

export interface SyncRoomsInfo {
  /** Rooms the user is joined to as of upTo. */
  joinedRoomIds: readonly string[];
  /** Rooms joined, and rooms left, after `since` (for device_lists changed/left). */
  newlyJoinedRoomIds: readonly string[];
  newlyLeftRoomIds: readonly string[];
}

export interface SyncExtensionResult {
  /** Top-level response fields to set, e.g. `to_device`, `device_lists`. */
  fields: Record<string, unknown>;
  /** True when the fields hold news that should end a long-poll (a message, a device list change). */
  hasNews: boolean;
}

/**
 * Extensions run at the same time as each other and as the rooms, account data and
 * presence sections; their fields are applied in registration order.
 */
export interface SyncExtension {
  readonly name: string;
  contribute(ctx: SyncExtensionContext): Promise<SyncExtensionResult>;
}
