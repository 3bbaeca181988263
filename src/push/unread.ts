import type { PushActionsStore, UnreadCount } from "../storage/stores/push-actions.ts";
import type { ReceiptsStore } from "../storage/stores/receipts.ts";

/** `unread_notifications` (and the per-thread form) of one room, as /sync shows them. */
export interface RoomUnread {
  unread_notifications: { notification_count: number; highlight_count: number };
  unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }>;
}

const zero = (): UnreadCount => ({ notifications: 0, highlights: 0 });
const shown = (c: UnreadCount) => ({ notification_count: c.notifications, highlight_count: c.highlights });

/**
 * Unread notification counts: the push outcomes of events after the user's
 * read receipt (and after they joined). An unthreaded receipt reads every
 * thread up to it; a threaded one (thread_id "main" or a thread root) only its
 * thread.
 */
export class UnreadCounter {
  constructor(
    private readonly receipts: ReceiptsStore,
    private readonly actions: PushActionsStore,
  ) {}

  /**
   * `rooms` maps each room to a fallback "joined since" position, used when
   * push processing has no record of the user joining (it never saw the join).
   */
  async forRooms(userId: string, rooms: ReadonlyMap<string, number>, perThread: boolean): Promise<Map<string, RoomUnread>> {
    const out = new Map<string, RoomUnread>();
    if (rooms.size === 0) return out;
    const roomIds = [...rooms.keys()];
    const [since, receipts] = await Promise.all([this.actions.joinedSince(userId, roomIds), this.receipts.readReceiptsOf(userId, roomIds)]);
    const floor = (roomId: string) => since.get(roomId) ?? rooms.get(roomId) ?? 0;
    const unthreaded = new Map<string, number>(roomIds.map((r) => [r, floor(r)]));
    const threaded = new Map<string, Map<string, number>>();
    for (const r of receipts) {
      if (r.threadId === "") {
        unthreaded.set(r.roomId, Math.max(unthreaded.get(r.roomId) ?? 0, r.eventStreamOrdering));
      } else {
        let m = threaded.get(r.roomId);
        if (!m) threaded.set(r.roomId, (m = new Map()));
        m.set(r.threadId, Math.max(m.get(r.threadId) ?? floor(r.roomId), r.eventStreamOrdering));
      }
    }
    const counts = await this.actions.countsAfter(userId, unthreaded);
    for (const [roomId, threads] of threaded) {
      const base = unthreaded.get(roomId) ?? 0;
      for (const [threadId, pos] of threads) {
        if (pos <= base) continue;
        const c = await this.actions.threadCountAfter(userId, roomId, threadId, pos);
        let m = counts.get(roomId);
        if (!m) counts.set(roomId, (m = new Map()));
        m.set(threadId, c);
      }
    }
    for (const roomId of roomIds) {
      const byThread = counts.get(roomId) ?? new Map<string, UnreadCount>();
      if (perThread) {
        const threads: RoomUnread["unread_thread_notifications"] = {};
        for (const [t, c] of byThread) if (t !== "main" && (c.notifications > 0 || c.highlights > 0)) threads[t] = shown(c);
        out.set(roomId, { unread_notifications: shown(byThread.get("main") ?? zero()), unread_thread_notifications: threads });
      } else {
        const total = zero();
        for (const c of byThread.values()) {
          total.notifications += c.notifications;
          total.highlights += c.highlights;
        }
        out.set(roomId, { unread_notifications: shown(total) });
      }
    }
    return out;
  }
}
