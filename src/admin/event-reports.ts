// Abuse reports: filed by clients (`POST /rooms/{roomId}/report/{eventId}`), read and
// dismissed by admins. A report keeps the event's sender so it outlives a room purge.
import type { Requester } from "../http/context.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import type { Clock } from "../observability/clock.ts";
import type { RoomService } from "../rooms/service.ts";
import type { Ratelimiter } from "../ratelimit/limiter.ts";
import type { AdminRoomsStore } from "../storage/stores/admin-rooms.ts";
import type { EventReportQuery, EventReportRow, EventReportsStore } from "../storage/stores/admin-event-reports.ts";
import { roomListEntry } from "./room-summary.ts";

export interface EventReportsDeps {
  clock: Clock;
  rooms: RoomService;
  roomFacts: AdminRoomsStore;
  store: EventReportsStore;
  limiter: Ratelimiter;
}

export class EventReports {
  constructor(private readonly deps: EventReportsDeps) {}

  /** A client's report: only of an event the reporter can see (404 otherwise, whatever the reason). */
  async report(requester: Requester, roomId: string, eventId: string, body: { reason?: string; score?: number }): Promise<void> {
    this.deps.limiter.ratelimit({ requester: requester.userId });
    let sender: string;
    try {
      sender = (await this.deps.rooms.reads.event(requester, roomId, eventId)).sender;
    } catch (err) {
      if (err instanceof MatrixError && (err.status === 403 || err.status === 404)) {
        throw notFound("Unable to report event: it does not exist or you aren't able to see it.");
      }
      throw err;
    }
    await this.deps.store.add({
      receivedTs: this.deps.clock.now(),
      roomId,
      eventId,
      userId: requester.userId,
      eventSender: sender,
      reason: body.reason ?? null,
      score: body.score ?? null,
    });
  }

  async list(q: EventReportQuery): Promise<{ reports: Record<string, unknown>[]; total: number }> {
    const { rows, total } = await this.deps.store.list(q);
    return { reports: await this.#views(rows), total };
  }

  async get(id: number): Promise<Record<string, unknown>> {
    const row = await this.deps.store.get(id);
    if (!row) throw notFound("Event report not found");
    const [view] = await this.#views([row]);
    const event = await this.deps.rooms.stores.events.get(row.eventId);
    return { ...view, event_json: event ? JSON.parse(event.pdu) : null };
  }

  async delete(id: number): Promise<void> {
    if (!(await this.deps.store.delete(id))) throw notFound("Event report not found");
  }

  async #views(rows: EventReportRow[]): Promise<Record<string, unknown>[]> {
    const facts = await this.deps.roomFacts.facts([...new Set(rows.map((r) => r.roomId))]);
    const rooms = new Map(facts.map((f) => [f.roomId, roomListEntry(f)]));
    return rows.map((r) => ({
      id: r.id,
      received_ts: r.receivedTs,
      room_id: r.roomId,
      name: rooms.get(r.roomId)?.name ?? null,
      event_id: r.eventId,
      user_id: r.userId,
      reason: r.reason,
      score: r.score,
      sender: r.eventSender,
      canonical_alias: rooms.get(r.roomId)?.canonical_alias ?? null,
    }));
  }
}
