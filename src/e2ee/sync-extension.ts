import type { SyncExtension } from "../sync/extensions.ts";
import { formatSyncToken } from "../sync/token.ts";
import type { E2ee } from "./e2ee.ts";

/**
 * Plugs the e2ee sections into /sync: to_device, device_lists,
 * device_one_time_keys_count and device_unused_fallback_key_types.
 */
export function e2eeSyncExtension(e2ee: E2ee): SyncExtension {
  return {
    name: "e2ee",
    async contribute(ctx) {
      const since = ctx.since && { toDevice: ctx.since.to_device, deviceLists: ctx.since.device_lists, events: ctx.since.events };
      const upTo = { toDevice: ctx.upTo.to_device, deviceLists: ctx.upTo.device_lists, events: ctx.upTo.events };
      const r = await e2ee.sync({ userId: ctx.userId, deviceId: ctx.deviceId, since: since ?? null, upTo });
      const fields: Record<string, unknown> = { ...r.fields };
      // More to-device messages are waiting than one response carries: next_batch must
      // point at the last one delivered, or the client's next since would acknowledge
      // (and delete) the rest unseen.
      if (r.positions.toDevice < upTo.toDevice) {
        fields.next_batch = formatSyncToken({ ...ctx.upTo, to_device: r.positions.toDevice });
      }
      return { fields, hasNews: r.hasUpdates };
    },
  };
}
