import type { EventRow, EventsStore } from "../storage/stores/events.ts";
import type { StateGroupsStore, StateIds } from "../storage/stores/state-groups.ts";
import type { SyncReadsStore } from "../storage/stores/sync-reads.ts";
import type { VisibilityFilter } from "../rooms/visibility-filter.ts";
import { topoToken } from "../rooms/tokens.ts";
import { matchesEventFilter } from "./filter-apply.ts";
import type { RoomEventFilter } from "./filter.ts";

export interface RoomReadDeps {
  reads: SyncReadsStore;
  events: EventsStore;
  stateGroups: StateGroupsStore;
  visibility: VisibilityFilter;
}

export interface TimelineRequest {
  roomId: string;
  userId: string;
  /** Last stream position included (the sync's upper bound, or the user's leave). */
  upTo: number;
  /** Events after this position only; undefined for a room's first sync. */
  after: number | undefined;
  limit: number;
  /** Events from this position on need no history-visibility check (the user was joined). */
  visibleFrom: number;
  filter: RoomEventFilter | undefined;
}

export interface Timeline {
  /** Oldest first. */
  rows: EventRow[];
  limited: boolean;
  /** A /messages `from` token just before the first event (or at upTo when there is none). */
  prevBatch: string;
}

const MEMBER = "m.room.member";
const isMemberKey = (k: string) => k.startsWith(`${MEMBER}\u0000`);

/**
 * The newest `limit` events of a room in (after, upTo] that pass the filter and
 * that the user may see. `limited` says whether older such events were left out.
 */
export async function loadTimeline(deps: RoomReadDeps, req: TimelineRequest): Promise<Timeline> {
  const picked: EventRow[] = [];
  let cursor = req.upTo;
  let more = false;
  const batchSize = Math.min(Math.max((req.limit + 1) * 2, 20), 200);
  for (;;) {
    const batch = await deps.reads.eventsBackwards(req.roomId, cursor, req.after, batchSize);
    if (batch.length === 0) break;
    let candidates = batch.filter((e) =>
      matchesEventFilter(req.filter, { type: e.type, sender: e.sender, roomId: e.roomId, content: contentOf(e) }),
    );
    const unsure = candidates.filter((e) => e.streamOrdering < req.visibleFrom);
    if (unsure.length > 0) {
      const visible = new Set((await deps.visibility.filter(req.userId, unsure, { isPeeking: false })).map((e) => e.eventId));
      candidates = candidates.filter((e) => e.streamOrdering >= req.visibleFrom || visible.has(e.eventId));
    }
    for (const e of candidates) {
      if (picked.length < req.limit) picked.push(e);
      else more = true;
    }
    if (more || batch.length < batchSize) break;
    cursor = batch[batch.length - 1]!.streamOrdering - 1;
  }
  picked.reverse();
  const first = picked[0];
  let prevBatch: string;
  if (first) {
    // "After (depth, stream - 1)": /messages going backwards starts with the event before `first`.
    prevBatch = topoToken(first.depth, first.streamOrdering - 1);
  } else {
    const last = (await deps.reads.lastEventsAtOrBefore([req.roomId], req.upTo)).get(req.roomId);
    prevBatch = last ? topoToken(last.depth, last.stream) : topoToken(0, 0);
  }
  return { rows: picked, limited: more, prevBatch };
}

function contentOf(e: EventRow): unknown {
  // Only the contains_url filter looks at content; the column answers it without parsing.
  return e.containsUrl ? { url: "" } : {};
}

export interface StateRequest {
  roomId: string;
  userId: string;
  timeline: Timeline;
  /** The sync's upper bound (for the state when the timeline is empty). */
  upTo: number;
  /** Previous sync position for this room; undefined = send the full state. */
  after: number | undefined;
  lazyLoadMembers: boolean;
  /** With lazy loading, members to include besides the timeline's senders (heroes, the user). */
  extraMembers: readonly string[];
  /**
   * With lazy loading, member events the client already holds (sent by an
   * earlier response): left out, unless include_redundant_members asks for them.
   */
  known?: (member: string, eventId: string) => boolean;
  filter: RoomEventFilter | undefined;
}

/** State group before the first timeline event (or at upTo when the timeline is empty). */
async function startGroup(deps: RoomReadDeps, roomId: string, timeline: Timeline, upTo: number): Promise<number | undefined> {
  const first = timeline.rows[0];
  if (first) {
    const [prev] = await deps.reads.eventsBackwards(roomId, first.streamOrdering - 1, undefined, 1);
    return prev?.stateGroup;
  }
  return (await deps.reads.lastEventsAtOrBefore([roomId], upTo)).get(roomId)?.stateGroup;
}

/**
 * The `state` section of a room: the state at the start of the timeline, in
 * full (first sync of the room) or as what changed since `after` (only when
 * the timeline is limited: otherwise the changes are in the timeline). With
 * lazy loading, member events are limited to the timeline's senders and
 * `extraMembers`. Events already in the timeline are never repeated.
 */
export async function loadState(deps: RoomReadDeps, req: StateRequest): Promise<EventRow[]> {
  const group = await startGroup(deps, req.roomId, req.timeline, req.upTo);
  const needed = new Set<string>(req.extraMembers);
  for (const e of req.timeline.rows) needed.add(e.sender);
  const neededKeys = [...needed].map((u) => ({ type: MEMBER, stateKey: u }));

  let ids: StateIds;
  if (req.after === undefined) {
    ids = group === undefined ? new Map() : await deps.stateGroups.stateAt(group);
    if (req.lazyLoadMembers) ids = keepMembers(ids, needed);
  } else if (req.timeline.limited) {
    const sinceGroup = (await deps.reads.lastEventsAtOrBefore([req.roomId], req.after)).get(req.roomId)?.stateGroup;
    const atStart = group === undefined ? new Map<string, string>() : await deps.stateGroups.stateAt(group);
    const atSince = sinceGroup === undefined || sinceGroup === group ? atStart : await deps.stateGroups.stateAt(sinceGroup);
    ids = new Map();
    for (const [k, id] of atStart) {
      if (req.lazyLoadMembers && isMemberKey(k)) {
        if (needed.has(k.slice(MEMBER.length + 1))) ids.set(k, id);
      } else if (atSince.get(k) !== id || sinceGroup === undefined) ids.set(k, id);
    }
  } else if (req.lazyLoadMembers && group !== undefined && neededKeys.length > 0) {
    ids = await deps.stateGroups.stateAt(group, { keys: neededKeys });
  } else {
    ids = new Map();
  }

  const inTimeline = new Set(req.timeline.rows.map((e) => e.eventId));
  const known = req.known;
  const wanted: string[] = [];
  for (const [k, id] of ids) {
    if (inTimeline.has(id)) continue;
    if (known && isMemberKey(k) && known(k.slice(MEMBER.length + 1), id)) continue;
    wanted.push(id);
  }
  const rows = [...(await deps.events.getMany(wanted)).values()];
  return rows
    .filter((e) => matchesEventFilter(req.filter, { type: e.type, sender: e.sender, roomId: e.roomId }))
    .sort((a, b) => a.streamOrdering - b.streamOrdering);
}

function keepMembers(ids: StateIds, members: ReadonlySet<string>): StateIds {
  const out: StateIds = new Map();
  for (const [k, id] of ids) if (!isMemberKey(k) || members.has(k.slice(MEMBER.length + 1))) out.set(k, id);
  return out;
}
