// /messages, /context and /timestamp_to_event: timeline reads in topological order,
// filtered by a RoomEventFilter and by history visibility.
import type { Requester } from "../http/context.ts";
import { forbidden, notFound } from "../http/errors.ts";
import type { ClientEvent } from "../matrix/events.ts";
import type { Clock } from "../observability/clock.ts";
import type { EventRow, EventsStore, TopoPosition } from "../storage/stores/events.ts";
import type { StateGroupsStore } from "../storage/stores/state-groups.ts";
import { matchesEventFilter } from "../sync/filter-apply.ts";
import type { RoomEventFilter } from "../sync/filter.ts";
import { parsePdu, txnScopeOf, type EventSerializer } from "./client-format.ts";
import type { RoomAccessChecker } from "./room-access.ts";
import { parseToken, tokenAfter, tokenBefore, topoToken, type PaginationToken } from "./tokens.ts";
import type { VisibilityFilter } from "./visibility-filter.ts";

export interface MessagesDeps {
  clock: Clock;
  events: EventsStore;
  stateGroups: StateGroupsStore;
  access: RoomAccessChecker;
  serializer: EventSerializer;
  visibility: VisibilityFilter;
}

export interface MessagesQuery {
  dir: "b" | "f";
  from?: string;
  to?: string;
  limit: number;
  filter?: RoomEventFilter;
}

export interface MessagesPage {
  chunk: ClientEvent[];
  start: string;
  end?: string;
  state?: ClientEvent[];
}

const MAX_ROUNDS = 5;

function filterable(row: EventRow) {
  return { type: row.type, sender: row.sender, roomId: row.roomId, content: parsePdu(row).content };
}

export class RoomMessages {
  constructor(private readonly deps: MessagesDeps) {}

  async messages(requester: Requester, roomId: string, q: MessagesQuery): Promise<MessagesPage> {
    const userId = requester.userId;
    const access = await this.deps.access.check(roomId, userId, { allowDeparted: true });
    let from = q.from !== undefined ? await this.#position(roomId, parseToken(q.from, "from")) : undefined;
    let to = q.to !== undefined ? await this.#position(roomId, parseToken(q.to, "to")) : undefined;
    if (q.from !== undefined && from === undefined && q.dir === "b") {
      // A stream token before the room's first event: nothing precedes it.
      return { chunk: [], start: q.from };
    }
    // A departed user reads up to their leave event and no further.
    if (access.membership === "leave" && access.member) {
      const leave = await this.deps.events.get(access.member.eventId);
      if (leave) {
        const cap = { depth: leave.depth, stream: leave.streamOrdering };
        if (q.dir === "b" && (!from || later(from, cap))) from = cap;
        if (q.dir === "f" && (!to || later(to, cap))) to = cap;
      }
    }
    const start = q.from ?? (from ? topoToken(from.depth, from.stream) : await this.#endToken(roomId, q.dir));

    const rows: EventRow[] = [];
    let cursor = from;
    let more = true;
    let lastConsumed: EventRow | undefined;
    for (let round = 0; round < MAX_ROUNDS && rows.length < q.limit && more; round++) {
      const page = await this.deps.events.page({ roomId, dir: q.dir, from: cursor, to, limit: q.limit });
      more = page.length === q.limit;
      if (page.length === 0) break;
      const matching = page.filter((r) => matchesEventFilter(q.filter, filterable(r)));
      const keep = new Set((await this.deps.visibility.filter(userId, matching, { isPeeking: access.isPeeking })).map((r) => r.eventId));
      for (const r of page) {
        lastConsumed = r;
        if (keep.has(r.eventId)) rows.push(r);
        if (rows.length >= q.limit) break;
      }
      if (lastConsumed !== page.at(-1)) more = true;
      cursor = nextCursor(lastConsumed!, q.dir);
    }
    const result: MessagesPage = { chunk: await this.#serialize(requester, rows), start };
    if (lastConsumed && more) result.end = q.dir === "b" ? tokenBefore(lastConsumed) : tokenAfter(lastConsumed);
    if (q.filter?.lazy_load_members && rows.length > 0) {
      result.state = await this.#memberState(requester, rows[0]!, rows);
    }
    return result;
  }

  async context(requester: Requester, roomId: string, eventId: string, limit: number, filter?: RoomEventFilter) {
    const userId = requester.userId;
    const event = await this.deps.events.get(eventId);
    if (!event || event.roomId !== roomId) throw notFound("Event not found.");
    const isPeeking = !(await this.deps.access.isJoined(roomId, userId));
    if (!(await this.deps.visibility.isVisible(userId, event, { isPeeking }))) {
      throw forbidden("You don't have permission to access that event.");
    }
    const beforeLimit = Math.floor(limit / 2);
    const afterLimit = limit - beforeLimit;
    const around = async (dir: "b" | "f", n: number) => {
      if (n === 0) return { page: [] as EventRow[], visible: [] as EventRow[] };
      const from = dir === "b" ? { depth: event.depth, stream: event.streamOrdering - 1 } : { depth: event.depth, stream: event.streamOrdering };
      const page = await this.deps.events.page({ roomId, dir, from, limit: n });
      const matching = page.filter((r) => matchesEventFilter(filter, filterable(r)));
      return { page, visible: await this.deps.visibility.filter(userId, matching, { isPeeking }) };
    };
    const before = await around("b", beforeLimit);
    const after = await around("f", afterLimit);
    const lastBefore = before.page.at(-1);
    const lastAfter = after.page.at(-1);
    const stateAt = after.visible.at(-1) ?? event;
    const state = filter?.lazy_load_members
      ? await this.#memberState(requester, stateAt, [...before.visible, event, ...after.visible])
      : await this.#stateAt(requester, stateAt, filter);
    return {
      event: (await this.#serialize(requester, [event]))[0]!,
      events_before: await this.#serialize(requester, before.visible),
      events_after: await this.#serialize(requester, after.visible),
      state,
      start: lastBefore ? tokenBefore(lastBefore) : tokenBefore(event),
      end: lastAfter ? tokenAfter(lastAfter) : tokenAfter(event),
    };
  }

  async timestampToEvent(requester: Requester, roomId: string, ts: number, dir: "f" | "b") {
    const access = await this.deps.access.check(roomId, requester.userId, { allowDeparted: true });
    const candidates = await this.deps.events.closestToTimestamp(roomId, ts, dir);
    const [found] = await this.deps.visibility.filter(requester.userId, candidates, { isPeeking: access.isPeeking });
    if (!found) throw notFound(`Unable to find event from ${ts} in direction ${dir}`);
    return { event_id: found.eventId, origin_server_ts: found.originServerTs };
  }

  /** A token's position as a topological one; undefined for a stream token before the room's first event. */
  async #position(roomId: string, token: PaginationToken): Promise<TopoPosition | undefined> {
    if (token.kind === "topo") return { depth: token.depth, stream: token.stream };
    const row = await this.deps.events.lastAtOrBeforeStream(roomId, token.stream);
    return row ? { depth: row.depth, stream: row.streamOrdering } : undefined;
  }

  async #endToken(roomId: string, dir: "b" | "f"): Promise<string> {
    if (dir === "f") return topoToken(0, 0);
    const latest = await this.deps.events.latest(roomId);
    return latest ? tokenAfter(latest) : topoToken(0, 0);
  }

  async #stateAt(requester: Requester, row: EventRow, filter?: RoomEventFilter): Promise<ClientEvent[]> {
    const ids = await this.deps.stateGroups.stateAt(row.stateGroup);
    const rows = [...(await this.deps.events.getMany([...ids.values()])).values()];
    return this.#serialize(requester, rows.filter((r) => matchesEventFilter(filter, filterable(r))));
  }

  async #memberState(requester: Requester, at: EventRow, rows: EventRow[]): Promise<ClientEvent[]> {
    const senders = [...new Set(rows.map((r) => r.sender))];
    const ids = await this.deps.stateGroups.stateAt(at.stateGroup, {
      keys: senders.map((s) => ({ type: "m.room.member", stateKey: s })),
    });
    const members = [...(await this.deps.events.getMany([...ids.values()])).values()];
    return this.#serialize(requester, members);
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

function later(a: TopoPosition, b: TopoPosition): boolean {
  return a.depth > b.depth || (a.depth === b.depth && a.stream > b.stream);
}

function nextCursor(row: EventRow, dir: "b" | "f"): TopoPosition {
  return dir === "b" ? { depth: row.depth, stream: row.streamOrdering - 1 } : { depth: row.depth, stream: row.streamOrdering };
}
