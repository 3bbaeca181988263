import type { E2ee } from "./e2ee.ts";
import type { DeviceListChanges, SharingDelta } from "./device-lists.ts";
import type { Json } from "./ports.ts";

export interface E2eeSyncPositions {
  toDevice: number;
  deviceLists: number;
  /** The events stream position: membership changes in the window start or end room sharing. */
  events: number;
}

export interface E2eeSyncRequest {
  userId: string;
  /** The syncing device; null for a token without one (then no to-device or key counts). */
  deviceId: string | null;
  /** Positions of the `since` token; null for an initial sync. */
  since: E2eeSyncPositions | null;
  /** Positions this response covers, read once when the sync started. */
  upTo: E2eeSyncPositions;
  /**
   * Whose room sharing with the user started or ended in the window, when the sync
   * engine already knows; otherwise computed from member events in the window.
   */
  sharing?: SharingDelta;
}

export interface E2eeSyncFields {
  to_device?: { events: Json[] };
  device_lists?: { changed: string[]; left: string[] };
  device_one_time_keys_count?: Record<string, number>;
  device_unused_fallback_key_types?: string[];
  "org.matrix.msc2732.device_unused_fallback_key_types"?: string[];
}

export interface E2eeSyncResult {
  /** Top-level fields of the /sync response. */
  fields: E2eeSyncFields;
  /** to_device and device_lists positions for next_batch. */
  positions: { toDevice: number; deviceLists: number };
  /** Whether there is news (to-device messages, device-list changes): a long-poll may return. */
  hasUpdates: boolean;
}

/**
 * The e2ee part of one /sync response. Acknowledges (deletes) to-device messages up to
 * `since.toDevice` — the client has them — and returns what came after, so a response the
 * client never received is sent again. device_lists is only computed for incremental syncs.
 */
export async function e2eeSync(e2ee: E2ee, req: E2eeSyncRequest): Promise<E2eeSyncResult> {
  const { userId, deviceId, since, upTo } = req;
  // Independent reads, started together: on PostgreSQL each is a round trip or more.
  const [td, counts, unused, lists] = await Promise.all([
    deviceId === null ? undefined : e2ee.toDevice.forSync(userId, deviceId, since?.toDevice ?? null, upTo.toDevice),
    deviceId === null ? undefined : e2ee.keys.oneTimeKeyCounts(userId, deviceId),
    deviceId === null ? undefined : e2ee.keys.unusedFallbackKeyTypes(userId, deviceId),
    since ? deviceListChanges(e2ee, req, since) : undefined,
  ]);
  const fields: E2eeSyncFields = {};
  let hasUpdates = false;
  if (td) {
    fields.to_device = { events: td.events };
    hasUpdates ||= td.events.length > 0;
  }
  if (counts && unused) {
    fields.device_one_time_keys_count = counts;
    fields.device_unused_fallback_key_types = unused;
    fields["org.matrix.msc2732.device_unused_fallback_key_types"] = unused;
  }
  if (lists) {
    fields.device_lists = lists;
    hasUpdates ||= lists.changed.length > 0 || lists.left.length > 0;
  }
  return { fields, positions: { toDevice: td?.position ?? upTo.toDevice, deviceLists: upTo.deviceLists }, hasUpdates };
}

async function deviceListChanges(e2ee: E2ee, req: E2eeSyncRequest, since: E2eeSyncPositions): Promise<DeviceListChanges> {
  const sharing = req.sharing ?? (await sharingDelta(e2ee, req.userId, since.events, req.upTo.events));
  return e2ee.deviceLists.changesFor(req.userId, since.deviceLists, req.upTo.deviceLists, sharing);
}

/** Users whose room sharing with `userId` started or ended through member events in (since, upTo]. */
export async function sharingDelta(e2ee: E2ee, userId: string, since: number, upTo: number): Promise<SharingDelta> {
  if (upTo <= since) return { started: [], ended: [] };
  const rs = e2ee.stores.roomSharing;
  const c = await rs.sharingChanges(userId, since, upTo);
  const started = new Set(c.othersJoined);
  if (c.joinedRooms.length > 0) for (const u of await rs.joinedMembers(c.joinedRooms)) started.add(u);
  const ended = new Set(c.othersLeft);
  if (c.leftRooms.length > 0) for (const u of await rs.joinedMembers(c.leftRooms)) ended.add(u);
  return { started, ended };
}

/** GET /keys/changes: device-list changes between two /sync tokens' positions. */
export async function keysChanges(
  e2ee: E2ee,
  userId: string,
  from: { deviceLists: number; events: number },
  to: { deviceLists: number; events: number },
): Promise<{ changed: string[]; left: string[] }> {
  const sharing = await sharingDelta(e2ee, userId, from.events, to.events);
  return e2ee.deviceLists.changesFor(userId, from.deviceLists, to.deviceLists, sharing);
}
