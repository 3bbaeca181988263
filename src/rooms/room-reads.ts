// Reads of room state and single events, with the access and visibility rules of each
// endpoint as Synapse applies them.
import type { Requester } from "../http/context.ts";
import { forbidden, notFound } from "../http/errors.ts";
import type { ClientEvent } from "../matrix/events.ts";
import type { EventRow, EventsStore } from "../storage/stores/events.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import type { StateGroupsStore, StateKeyRef } from "../storage/stores/state-groups.ts";
import type { Clock } from "../observability/clock.ts";
import { txnScopeOf, type EventSerializer } from "./client-format.ts";
import type { RoomAccessChecker } from "./room-access.ts";
import { parseToken } from "./tokens.ts";
import type { VisibilityFilter } from "./visibility-filter.ts";

export interface RoomReadsDeps {
  clock: Clock;
  rooms: RoomsStore;
  events: EventsStore;
  stateGroups: StateGroupsStore;
  access: RoomAccessChecker;
  serializer: EventSerializer;
  visibility: VisibilityFilter;
}

export class RoomReads {
  constructor(private readonly deps: RoomReadsDeps) {}

  /**
   * The state rows a user may read: current state when joined (or previewing a
   * world-readable room), the state at their leave event when they have left.
   */
  async stateRows(requester: Requester, roomId: string, filter: { keys?: StateKeyRef[]; types?: string[] } = {}): Promise<EventRow[]> {
    const access = await this.deps.access.check(roomId, requester.userId, { allowDeparted: true });
    if (access.membership === "leave" && access.member) {
      const leave = await this.deps.events.get(access.member.eventId);
      if (!leave) return [];
      return this.#rowsAtGroup(leave.stateGroup, filter);
    }
    let current = await this.deps.rooms.currentState(roomId, filter.types ? { types: filter.types } : {});
    if (filter.keys) {
      const wanted = new Set(filter.keys.map((k) => `${k.type}\u0000${k.stateKey}`));
      current = current.filter((r) => wanted.has(`${r.type}\u0000${r.stateKey}`));
    }
    return [...(await this.deps.events.getMany(current.map((r) => r.eventId))).values()];
  }

  async state(requester: Requester, roomId: string): Promise<ClientEvent[]> {
    return this.#serialize(requester, await this.stateRows(requester, roomId));
  }

  /** GET /state/{type}/{key}: the event, or 404. */
  async stateEvent(requester: Requester, roomId: string, type: string, stateKey: string): Promise<ClientEvent> {
    const rows = await this.stateRows(requester, roomId, { keys: [{ type, stateKey }] });
    if (rows.length === 0) throw notFound("Event not found.");
    const [event] = await this.#serialize(requester, rows);
    return event!;
  }

  /** GET /event/{eventId}: 404 both for unknown events and for events the user may not see. */
  async event(requester: Requester, roomId: string, eventId: string): Promise<ClientEvent> {
    const row = await this.deps.events.get(eventId);
    if (!row || row.roomId !== roomId) throw notFound("Event not found.");
    const isPeeking = !(await this.deps.access.isJoined(roomId, requester.userId));
    if (!(await this.deps.visibility.isVisible(requester.userId, row, { isPeeking }))) throw notFound("Event not found.");
    const [event] = await this.#serialize(requester, [row], true);
    return event!;
  }

  /** GET /members: at a pagination token, filtered by membership. */
  async members(
    requester: Requester,
    roomId: string,
    opts: { at?: string; membership?: string; notMembership?: string },
  ): Promise<ClientEvent[]> {
    let rows: EventRow[];
    if (opts.at !== undefined) {
      const access = await this.deps.access.check(roomId, requester.userId, { allowDeparted: true });
      const token = parseToken(opts.at, "at");
      const last =
        token.kind === "stream"
          ? await this.deps.events.lastAtOrBeforeStream(roomId, token.stream)
          : (await this.deps.events.page({ roomId, dir: "b", from: token, limit: 1 }))[0];
      if (!last) throw notFound(`Can't find event for token ${opts.at}`);
      if (!(await this.deps.visibility.isVisible(requester.userId, last, { isPeeking: access.isPeeking }))) {
        throw forbidden(`User ${requester.userId} not allowed to view events in room ${roomId} at token ${opts.at}`);
      }
      rows = await this.#rowsAtGroup(last.stateGroup, { types: ["m.room.member"] });
    } else {
      rows = await this.stateRows(requester, roomId, { types: ["m.room.member"] });
    }
    rows = rows.filter((r) => {
      if (opts.membership !== undefined && r.membership !== opts.membership) return false;
      if (opts.notMembership !== undefined && r.membership === opts.notMembership) return false;
      return true;
    });
    return this.#serialize(requester, rows);
  }

  /** GET /joined_members: only for joined users (or world-readable previews). */
  async joinedMembers(requester: Requester, roomId: string): Promise<Record<string, { display_name?: string; avatar_url?: string }>> {
    const access = await this.deps.access.check(roomId, requester.userId, { allowDeparted: true });
    if (access.membership !== "join") throw forbidden("User not joined to room");
    const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
    for (const m of await this.deps.rooms.members(roomId, "join")) {
      const entry: { display_name?: string; avatar_url?: string } = {};
      if (m.displayname !== null) entry.display_name = m.displayname;
      if (m.avatarUrl !== null) entry.avatar_url = m.avatarUrl;
      joined[m.userId] = entry;
    }
    return joined;
  }

  async joinedRooms(userId: string): Promise<string[]> {
    return (await this.deps.rooms.roomsForUser(userId, ["join"])).map((r) => r.roomId);
  }

  async #rowsAtGroup(group: number, filter: { keys?: StateKeyRef[]; types?: string[] }): Promise<EventRow[]> {
    const ids = await this.deps.stateGroups.stateAt(group, filter);
    return [...(await this.deps.events.getMany([...ids.values()])).values()];
  }

  #serialize(requester: Requester, rows: EventRow[], bundleAggregations = false): Promise<ClientEvent[]> {
    return this.deps.serializer.serialize(rows, {
      now: this.deps.clock.now(),
      txnScope: txnScopeOf(requester),
      userId: requester.userId,
      bundleAggregations,
    });
  }
}
