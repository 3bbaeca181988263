import type { EventRow } from "../storage/stores/events.ts";
import type { ReceiptRow } from "../storage/stores/receipts.ts";
import type { AccountDataRow } from "../storage/stores/account-data.ts";
import type { MemberSummaryCounts } from "../storage/stores/sync-reads.ts";
import { receiptEvent } from "../ephemeral/receipts.ts";
import type { RoomUnread } from "../push/unread.ts";
import {
  applyEventFields,
  eventFormat,
  includeLeave,
  includeRedundantMembers,
  lazyLoadMembers,
  matchesEventFilter,
  matchesRoom,
  timelineLimit,
  unreadThreadNotifications,
} from "./filter-apply.ts";
import { loadState, loadTimeline, type Timeline } from "./room-timeline.ts";
import { heroesFor, missingHeroMembers, roomSummary, touchesSummary } from "./room-summary.ts";
import { strippedState } from "./stripped-state.ts";
import type { JsonEvent, SyncContext, SyncDeps } from "./context.ts";

export interface RoomsSection {
  join: Record<string, unknown>;
  invite: Record<string, unknown>;
  leave: Record<string, unknown>;
  knock: Record<string, unknown>;
}

export interface RoomsOutcome {
  rooms: RoomsSection;
  joinedRoomIds: string[];
  newlyJoinedRoomIds: string[];
  newlyLeftRoomIds: string[];
}

/** How one room appears in this response. */
interface Plan {
  roomId: string;
  kind: "join" | "invite" | "leave" | "knock";
  /** The user's membership event that put the room in this section. */
  member: { eventId: string; stream: number };
  /** Timeline lower bound; undefined for the room's first sync. */
  after: number | undefined;
  /** Send the complete state (first sync of the room, or full_state). */
  fullState: boolean;
  /** Timeline upper bound. */
  upTo: number;
  visibleFrom: number;
}

const DEFAULT_TIMELINE_LIMIT = 10;
const MAX_TIMELINE_LIMIT = 100;
const ROOMS_IN_PARALLEL = 8;

/** The `rooms` section: which rooms appear, and each one's entry. */
export async function buildRooms(deps: SyncDeps, ctx: SyncContext): Promise<RoomsOutcome> {
  const upToE = ctx.upTo.events;
  const sinceE = ctx.since?.events;
  // A sync without since starts a new sequence: the client may hold no members at all.
  if (!ctx.since) deps.lazyMembers.reset(ctx.userId, ctx.deviceId);
  const rows = await deps.rooms.roomsForUser(ctx.userId, ["join", "invite", "leave", "ban", "knock"]);
  const current = new Map<string, { membership: string; eventId: string; stream: number }>();
  const ahead: string[] = [];
  for (const r of rows) {
    // Forgotten rooms are gone from the user's view for good.
    if (r.forgotten && (r.membership === "leave" || r.membership === "ban")) continue;
    if (r.streamOrdering > upToE) ahead.push(r.roomId);
    else current.set(r.roomId, { membership: r.membership, eventId: r.eventId, stream: Number(r.streamOrdering) });
  }
  // Memberships written after this response's bound are read as they were at the bound.
  if (ahead.length) for (const [roomId, m] of await deps.reads.membershipsAt(ctx.userId, ahead, upToE)) current.set(roomId, m);

  const changed = sinceE === undefined ? [] : [...current].filter(([, m]) => m.stream > sinceE).map(([r]) => r);
  const before = sinceE === undefined || changed.length === 0 ? new Map() : await deps.reads.membershipsAt(ctx.userId, changed, sinceE);
  const joined = [...current].filter(([, m]) => m.membership === "join").map(([r]) => r);
  const shared = await loadShared(deps, ctx, joined);
  const roomNews = await roomsWithNews(deps, ctx, joined, shared);

  const plans: Plan[] = [];
  const joinedRoomIds: string[] = [];
  const newlyJoinedRoomIds: string[] = [];
  const newlyLeftRoomIds: string[] = [];
  const fullState = ctx.fullState;
  for (const [roomId, m] of current) {
    const prev = before.get(roomId)?.membership as string | undefined;
    const changedHere = sinceE !== undefined && m.stream > sinceE;
    if (m.membership === "join") joinedRoomIds.push(roomId);
    if (!matchesRoom(ctx.filter, roomId)) continue;
    const member = { eventId: m.eventId, stream: m.stream };
    switch (m.membership) {
      case "join": {
        const newly = changedHere && prev !== "join";
        if (newly) newlyJoinedRoomIds.push(roomId);
        if (sinceE === undefined || newly) {
          plans.push({ roomId, kind: "join", member, after: undefined, fullState: true, upTo: upToE, visibleFrom: m.stream });
        } else if (fullState || roomNews.has(roomId)) {
          plans.push({ roomId, kind: "join", member, after: sinceE, fullState, upTo: upToE, visibleFrom: m.stream });
        }
        break;
      }
      case "invite":
      case "knock":
        if (sinceE === undefined || changedHere || fullState) {
          plans.push({ roomId, kind: m.membership, member, after: undefined, fullState: true, upTo: m.stream, visibleFrom: m.stream });
        }
        break;
      default: {
        // leave or ban
        const wasIn = prev === "join" || prev === "invite" || prev === "knock";
        if (changedHere && prev === "join") newlyLeftRoomIds.push(roomId);
        if (changedHere && wasIn) {
          const after = prev === "join" ? sinceE : undefined;
          plans.push({ roomId, kind: "leave", member, after, fullState: fullState || after === undefined, upTo: m.stream, visibleFrom: after === undefined ? m.stream : after + 1 });
        } else if ((sinceE === undefined || fullState) && includeLeave(ctx.filter)) {
          plans.push({ roomId, kind: "leave", member, after: undefined, fullState: true, upTo: m.stream, visibleFrom: m.stream });
        }
      }
    }
  }

  const rooms: RoomsSection = { join: {}, invite: {}, leave: {}, knock: {} };
  const joinPlans = new Map(plans.filter((p) => p.kind === "join").map((p) => [p.roomId, p.member.stream]));
  // Rooms sent in full always get a summary: their member counts in one query, not one each.
  const fullJoins = plans.filter((p) => p.kind === "join" && p.fullState).map((p) => p.roomId);
  [shared.unread, shared.memberCounts] = await Promise.all([
    deps.unread.forRooms(ctx.userId, joinPlans, unreadThreadNotifications(ctx.filter)),
    fullJoins.length > 1 ? deps.reads.memberCounts(fullJoins) : undefined,
  ]);
  const one = async (p: Plan) => {
    if (p.kind === "invite" || p.kind === "knock") {
      const events = await strippedState(deps, p.roomId, p.member.eventId);
      if (p.kind === "invite") rooms.invite[p.roomId] = { invite_state: { events } };
      else rooms.knock[p.roomId] = { knock_state: { events } };
      return;
    }
    const built = await roomEntry(deps, ctx, p, shared);
    if (!built) return;
    (p.kind === "join" ? rooms.join : rooms.leave)[p.roomId] = built.entry;
    entries.push(built);
  };
  const entries: BuiltEntry[] = [];
  // A few rooms at a time: PostgreSQL answers them in parallel; SQLite queues them anyway.
  for (let i = 0; i < plans.length; i += ROOMS_IN_PARALLEL) await Promise.all(plans.slice(i, i + ROOMS_IN_PARALLEL).map(one));
  // Every room's events are formatted together: one bundled-aggregation lookup per sync.
  const [timelines, states] = await Promise.all([
    format(deps, ctx, entries.flatMap((e) => e.timelineRows), { bundleAggregations: true }),
    format(deps, ctx, entries.flatMap((e) => e.stateRows)),
  ]);
  let t = 0;
  let st = 0;
  for (const e of entries) {
    e.entry.timeline.events = timelines.slice(t, (t += e.timelineRows.length));
    e.entry.state.events = states.slice(st, (st += e.stateRows.length));
  }
  return { rooms, joinedRoomIds, newlyJoinedRoomIds, newlyLeftRoomIds };
}

/** Joined rooms with something new after `since` on any room stream (all of them on initial sync). */
async function roomsWithNews(deps: SyncDeps, ctx: SyncContext, joined: string[], shared: Shared): Promise<Set<string>> {
  const since = ctx.since;
  if (!since) return new Set(joined);
  const out = new Set<string>([...shared.receipts.keys(), ...shared.accountData.keys()]);
  const events = deps.streams.log("events").roomsChangedSince(since.events) ?? (await deps.reads.roomsWithEvents(since.events, ctx.upTo.events));
  const typingReset = since.typing < deps.typing.startPosition || since.typing > ctx.upTo.typing;
  for (const r of joined) {
    if (events.has(r) || typingReset || deps.typing.roomPosition(r) > since.typing) out.add(r);
  }
  return out;
}

/** Data loaded once for all joined rooms of the response. */
interface Shared {
  receipts: Map<string, ReceiptRow[]>;
  accountData: Map<string, AccountDataRow[]>;
  unread: Map<string, RoomUnread>;
  /** Member counts read ahead for the rooms sent in full. */
  memberCounts?: Map<string, MemberSummaryCounts>;
}

async function loadShared(deps: SyncDeps, ctx: SyncContext, roomIds: string[]): Promise<Shared> {
  const since = ctx.since;
  const full = !since || ctx.fullState;
  const receiptsLog = deps.streams.log("receipts");
  // A private receipt is recorded for its owner only, not for its room.
  const receiptRooms =
    full || receiptsLog.userChangedSince(ctx.userId, since.receipts)
      ? roomIds
      : roomIds.filter((r) => receiptsLog.roomChangedSince(r, since.receipts));
  const [receiptRows, adRows] = await Promise.all([
    deps.receipts.inRooms(receiptRooms, full ? 0 : since.receipts),
    full
      ? deps.accountData.listForUser(ctx.userId)
      : deps.streams.log("account_data").userChangedSince(ctx.userId, since.account_data)
        ? deps.accountData.changedSince(ctx.userId, since.account_data)
        : [],
  ]);
  const receipts = new Map<string, ReceiptRow[]>();
  for (const row of receiptRows) {
    if (row.streamId > ctx.upTo.receipts) continue;
    if (row.receiptType === "m.read.private" && row.userId !== ctx.userId) continue;
    push(receipts, row.roomId, row);
  }
  const accountData = new Map<string, AccountDataRow[]>();
  for (const row of adRows) if (row.roomId !== "" && row.streamId <= ctx.upTo.account_data) push(accountData, row.roomId, row);
  return { receipts, accountData, unread: new Map() };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A room's entry, its timeline and state events still to be formatted (all rooms' at once). */
interface BuiltEntry {
  entry: Record<string, unknown> & { timeline: { events: JsonEvent[]; limited: boolean; prev_batch?: string }; state: { events: JsonEvent[] } };
  timelineRows: EventRow[];
  stateRows: EventRow[];
}

async function roomEntry(deps: SyncDeps, ctx: SyncContext, p: Plan, shared: Shared): Promise<BuiltEntry | undefined> {
  const roomFilter = ctx.filter?.room;
  const isJoin = p.kind === "join";
  const lazy = lazyLoadMembers(ctx.filter);
  const dedupe = lazy && isJoin && !includeRedundantMembers(ctx.filter);
  const full = p.fullState;
  const timeline: Timeline = await loadTimeline(deps, {
    roomId: p.roomId,
    userId: ctx.userId,
    upTo: p.upTo,
    after: p.after,
    limit: timelineLimit(ctx.filter, DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT),
    visibleFrom: p.visibleFrom,
    filter: roomFilter?.timeline,
  });
  let heroes = isJoin && full ? await heroesFor(deps, p.roomId, ctx.userId) : undefined;
  // Only an incremental sync of a room the client has seen can rely on what it was sent.
  const since = ctx.since;
  const known =
    dedupe && !full && since
      ? (member: string, eventId: string) => deps.lazyMembers.has(ctx.userId, ctx.deviceId, p.roomId, member, eventId, since.events)
      : undefined;
  let state = await loadState(deps, {
    roomId: p.roomId,
    userId: ctx.userId,
    timeline,
    upTo: p.upTo,
    after: full ? undefined : p.after,
    lazyLoadMembers: lazy,
    extraMembers: full ? [ctx.userId, ...(heroes ?? [])] : [],
    known,
    filter: roomFilter?.state,
  });

  let summary: Record<string, unknown> | undefined;
  // Members (or the name) changed in the timeline, or may have in a gap: lazy-loaded
  // state need not show a gap's changes, so a limited timeline always gets a summary.
  if (isJoin && (full || timeline.limited || touchesSummary(timeline.rows))) {
    if (!full) heroes = await heroesFor(deps, p.roomId, ctx.userId);
    if (lazy && !full && heroes) {
      const sent = [...state, ...timeline.rows];
      const extra = await missingHeroMembers(deps, { roomId: p.roomId, heroes, sent, upTo: p.upTo, filter: roomFilter?.state, known });
      if (extra.length > 0) state = [...state, ...extra].sort((a, b) => a.streamOrdering - b.streamOrdering);
    }
    summary = await roomSummary(deps, p.roomId, heroes, shared.memberCounts?.get(p.roomId));
  }

  const entry: BuiltEntry["entry"] = {
    timeline: { events: [], limited: timeline.limited, prev_batch: timeline.prevBatch },
    state: { events: [] },
  };
  const built: BuiltEntry = { entry, timelineRows: timeline.rows, stateRows: state };
  const accountData = (shared.accountData.get(p.roomId) ?? [])
    .filter((r) => matchesEventFilter(roomFilter?.account_data, { type: r.type, roomId: p.roomId }))
    .map((r) => ({ type: r.type, content: r.content }));
  entry.account_data = { events: accountData };
  if (!isJoin) return built;

  const ephemeral = ephemeralEvents(deps, ctx, p, shared);
  entry.ephemeral = { events: ephemeral };
  const unread = shared.unread.get(p.roomId);
  if (unread) Object.assign(entry, unread);
  if (summary) entry.summary = summary;
  const empty = !full && timeline.rows.length === 0 && state.length === 0 && ephemeral.length === 0 && accountData.length === 0;
  if (empty) return undefined;
  if (dedupe) deps.lazyMembers.record(ctx.userId, ctx.deviceId, p.roomId, sentMembers(state, timeline.rows), ctx.upTo.events);
  return built;
}

/** The member events a response carries for a room, state first, so the timeline's later ones win. */
function* sentMembers(state: readonly EventRow[], timeline: readonly EventRow[]): Iterable<{ stateKey: string; eventId: string }> {
  for (const e of [...state, ...timeline]) if (e.type === "m.room.member" && e.stateKey !== null) yield { stateKey: e.stateKey, eventId: e.eventId };
}

function ephemeralEvents(deps: SyncDeps, ctx: SyncContext, p: Plan, shared: Shared): JsonEvent[] {
  const filter = ctx.filter?.room?.ephemeral;
  const out: JsonEvent[] = [];
  const since = ctx.since;
  const typingChanged =
    !since ||
    ctx.fullState ||
    p.after === undefined ||
    since.typing < deps.typing.startPosition ||
    since.typing > ctx.upTo.typing ||
    deps.typing.roomPosition(p.roomId) > since.typing;
  if (typingChanged) {
    const users = deps.typing.typingIn(p.roomId);
    // On a first sync of the room only an actual typist is news.
    if (users.length > 0 || (since && p.after !== undefined)) out.push({ type: "m.typing", content: { user_ids: users } });
  }
  const receipts = receiptEvent(shared.receipts.get(p.roomId) ?? [], ctx.userId);
  if (receipts) out.push(receipts);
  return out.filter((e) => matchesEventFilter(filter, { type: e.type as string, roomId: p.roomId }));
}

/** Events in the filter's event_format, with event_fields applied (timelines: with bundled aggregations). */
export async function format(deps: SyncDeps, ctx: SyncContext, rows: EventRow[], opts: { bundleAggregations?: boolean } = {}): Promise<JsonEvent[]> {
  if (rows.length === 0) return [];
  const serializeOpts = { now: deps.clock.now(), txnScope: ctx.txnScope, userId: ctx.userId, bundleAggregations: opts.bundleAggregations };
  const events = (await deps.serializer.serialize(rows, serializeOpts)) as unknown as JsonEvent[];
  const fields = ctx.filter?.event_fields;
  if (eventFormat(ctx.filter) === "client") return events.map((e) => applyEventFields(e, fields));
  // Federation format, as Synapse serves it: the PDU with its event_id and unsigned
  // data, and the content as clients may see it (a redacted event's is stripped).
  return rows.map((r, i) => {
    const client = events[i]!;
    const pdu = JSON.parse(r.pdu) as JsonEvent;
    return applyEventFields({ ...pdu, event_id: r.eventId, content: client.content, unsigned: client.unsigned ?? {} }, fields);
  });
}
