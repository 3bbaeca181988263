// GET /relations and /threads (client-server API "Relationships" and "Threading"), the
// basics: relations of an event by stream order, thread roots by latest activity, both
// filtered by history visibility, served with their bundled aggregations.
import type { Requester } from "../http/context.ts";
import { notFound } from "../http/errors.ts";
import type { ClientEvent } from "../matrix/events.ts";
import type { Clock } from "../observability/clock.ts";
import type { EventRow, EventsStore } from "../storage/stores/events.ts";
import { txnScopeOf, type EventSerializer } from "./client-format.ts";
import type { RoomAccessChecker } from "./room-access.ts";
import { parseToken, streamToken } from "./tokens.ts";
import type { VisibilityFilter } from "./visibility-filter.ts";

export interface RelationsDeps {
  clock: Clock;
  events: EventsStore;
  access: RoomAccessChecker;
  serializer: EventSerializer;
  visibility: VisibilityFilter;
}

export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  dir: "b" | "f";
  from?: string;
  to?: string;
  limit: number;
}

export class RoomRelations {
  constructor(private readonly deps: RelationsDeps) {}

  async relations(requester: Requester, roomId: string, eventId: string, q: RelationsQuery) {
    const userId = requester.userId;
    const access = await this.deps.access.check(roomId, userId, { allowDeparted: true });
    const parent = await this.deps.events.get(eventId);
    if (!parent || parent.roomId !== roomId) throw notFound("Unknown parent event.");
    const isPeeking = access.isPeeking;
    if (!(await this.deps.visibility.isVisible(userId, parent, { isPeeking }))) throw notFound("Unknown parent event.");

    // Stream tokens mean "after stream position n"; the store's bounds are exclusive.
    const fromStream = q.from !== undefined ? parseToken(q.from, "from").stream : undefined;
    const toStream = q.to !== undefined ? parseToken(q.to, "to").stream : undefined;
    const rows = await this.deps.events.relations({
      roomId,
      eventId,
      relType: q.relType,
      eventType: q.eventType,
      dir: q.dir,
      from: fromStream === undefined ? undefined : q.dir === "b" ? fromStream + 1 : fromStream,
      to: toStream === undefined ? undefined : q.dir === "b" ? toStream + 1 : toStream,
      limit: q.limit,
    });
    const visible = await this.deps.visibility.filter(userId, rows, { isPeeking });
    const out: { chunk: ClientEvent[]; next_batch?: string; prev_batch?: string } = {
      chunk: await this.#serialize(requester, visible),
    };
    const last = rows.at(-1);
    if (rows.length === q.limit && last) {
      out.next_batch = streamToken(q.dir === "b" ? last.streamOrdering - 1 : last.streamOrdering);
    }
    if (q.from !== undefined) out.prev_batch = q.from;
    return out;
  }

  async threads(requester: Requester, roomId: string, q: { include: "all" | "participated"; from?: string; limit: number }) {
    const userId = requester.userId;
    const access = await this.deps.access.check(roomId, userId, { allowDeparted: true });
    const before = q.from !== undefined ? parseToken(q.from, "from").stream : undefined;
    const threads = await this.deps.events.threads({
      roomId,
      before,
      limit: q.limit,
      participant: q.include === "participated" ? userId : undefined,
    });
    const roots = await this.deps.events.getMany(threads.map((t) => t.rootId));
    const rows = threads.map((t) => roots.get(t.rootId)).filter((r): r is EventRow => r !== undefined);
    const visible = await this.deps.visibility.filter(userId, rows, { isPeeking: access.isPeeking });
    const out: { chunk: ClientEvent[]; next_batch?: string } = { chunk: await this.#serialize(requester, visible) };
    const last = threads.at(-1);
    if (threads.length === q.limit && last) out.next_batch = streamToken(last.latest);
    return out;
  }

  #serialize(requester: Requester, rows: EventRow[]): Promise<ClientEvent[]> {
    return this.deps.serializer.serialize(rows, {
      now: this.deps.clock.now(),
      txnScope: txnScopeOf(requester),
      userId: requester.userId,
      bundleAggregations: true,
    });
  }
}
