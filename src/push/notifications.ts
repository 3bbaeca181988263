import type { Clock } from "../observability/clock.ts";
import type { EventSerializer } from "../rooms/client-format.ts";
import type { EventsStore } from "../storage/stores/events.ts";
import type { PushActionsStore } from "../storage/stores/push-actions.ts";
import type { ReceiptsStore } from "../storage/stores/receipts.ts";
import type { PushAction } from "./types.ts";

export interface NotificationsPage {
  notifications: Array<{
    actions: PushAction[];
    event: Record<string, unknown>;
    read: boolean;
    room_id: string;
    ts: number;
  }>;
  next_token?: string;
}

export const DEFAULT_NOTIFICATIONS_LIMIT = 50;
export const MAX_NOTIFICATIONS_LIMIT = 1000;

/** GET /notifications: the events that notified the user, newest first. */
export class NotificationsService {
  constructor(
    private readonly actions: PushActionsStore,
    private readonly receipts: ReceiptsStore,
    private readonly events: EventsStore,
    private readonly serializer: EventSerializer,
    private readonly clock: Clock,
  ) {}

  async page(userId: string, opts: { from?: number; limit: number; onlyHighlight: boolean }): Promise<NotificationsPage> {
    const rooms = await this.actions.roomsOf(userId);
    const rows = await this.actions.page(userId, rooms, { before: opts.from, limit: opts.limit, onlyHighlight: opts.onlyHighlight });
    if (rows.length === 0) return { notifications: [] };
    const roomIds = [...new Set(rows.map((r) => r.roomId))];
    // Read up to: an unthreaded receipt covers every thread, a threaded one its thread.
    const readUpTo = new Map<string, number>();
    for (const r of await this.receipts.readReceiptsOf(userId, roomIds)) {
      const key = `${r.roomId}|${r.threadId}`;
      readUpTo.set(key, Math.max(readUpTo.get(key) ?? 0, r.eventStreamOrdering));
    }
    const eventRows = await this.events.getMany(rows.map((r) => r.eventId));
    const present = rows.filter((r) => eventRows.has(r.eventId));
    const formatted = await this.serializer.serialize(
      present.map((r) => eventRows.get(r.eventId)!),
      { now: this.clock.now() },
    );
    const notifications = present.map((r, i) => {
      const read =
        r.streamOrdering <= (readUpTo.get(`${r.roomId}|`) ?? 0) || r.streamOrdering <= (readUpTo.get(`${r.roomId}|${r.threadId}`) ?? 0);
      return { actions: r.actions, event: formatted[i] as unknown as Record<string, unknown>, read, room_id: r.roomId, ts: r.ts };
    });
    return { notifications, next_token: String(rows[rows.length - 1]!.streamOrdering) };
  }
}
