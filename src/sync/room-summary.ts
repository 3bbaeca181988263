import { parsePdu } from "../rooms/client-format.ts";
import type { EventRow } from "../storage/stores/events.ts";
import type { MemberSummaryCounts } from "../storage/stores/sync-reads.ts";
import { matchesEventFilter } from "./filter-apply.ts";
import type { RoomEventFilter } from "./filter.ts";
import type { SyncDeps } from "./context.ts";

const MEMBER = "m.room.member";
/** State a client names a room by; without either it names the room after the heroes. */
export const NAMING_TYPES: readonly string[] = ["m.room.name", "m.room.canonical_alias"];

/**
 * Whether the room has a non-empty `m.room.name` or `m.room.canonical_alias`
 * alias. Only then are `m.heroes` needed (spec: required when both are unset or
 * empty); Synapse leaves them out otherwise, and so does Hearth.
 */
export async function hasNameOrAlias(deps: Pick<SyncDeps, "rooms">, roomId: string): Promise<boolean> {
  for (const row of await deps.rooms.currentState(roomId, { types: [...NAMING_TYPES] })) {
    const content = parsePdu(row).content ?? {};
    const value = row.type === "m.room.name" ? content.name : content.alias;
    if (typeof value === "string" && value !== "") return true;
  }
  return false;
}

/** The heroes of a room for `userId`, or undefined when the room's name or alias makes them unnecessary. */
export async function heroesFor(deps: Pick<SyncDeps, "rooms" | "reads">, roomId: string, userId: string): Promise<string[] | undefined> {
  return (await hasNameOrAlias(deps, roomId)) ? undefined : deps.reads.heroes(roomId, userId);
}

/** The `summary` of a joined room: member counts always, `m.heroes` when given. */
export async function roomSummary(
  deps: Pick<SyncDeps, "reads">,
  roomId: string,
  heroes: string[] | undefined,
  known?: MemberSummaryCounts,
): Promise<Record<string, unknown>> {
  const counts = known ?? (await deps.reads.memberCounts([roomId])).get(roomId)!;
  const summary: Record<string, unknown> = {};
  if (heroes) summary["m.heroes"] = heroes;
  summary["m.joined_member_count"] = counts.joined;
  summary["m.invited_member_count"] = counts.invited;
  return summary;
}

/** Whether events change what the summary says (members, or the name the heroes stand in for). */
export function touchesSummary(events: readonly EventRow[]): boolean {
  return events.some((e) => e.stateKey !== null && (e.type === MEMBER || NAMING_TYPES.includes(e.type)));
}

/**
 * With lazy loading, the member events of heroes the client does not hold yet
 * (spec: they MUST be in `state` unless redundant): not already in this
 * response's state or timeline, and not `known` from an earlier one. Member
 * events after `upTo` (written while this response was built) are left out.
 */
export async function missingHeroMembers(
  deps: Pick<SyncDeps, "rooms" | "events">,
  req: {
    roomId: string;
    heroes: readonly string[];
    sent: readonly EventRow[];
    upTo: number;
    filter: RoomEventFilter | undefined;
    known?: (member: string, eventId: string) => boolean;
  },
): Promise<EventRow[]> {
  const present = new Set(req.sent.filter((e) => e.type === MEMBER && e.stateKey !== null).map((e) => e.stateKey!));
  const missing = req.heroes.filter((h) => !present.has(h));
  if (missing.length === 0) return [];
  const current = await deps.rooms.memberEvents(req.roomId, missing);
  const ids: string[] = [];
  for (const [userId, m] of current) if (!req.known?.(userId, m.eventId)) ids.push(m.eventId);
  if (ids.length === 0) return [];
  return [...(await deps.events.getMany(ids)).values()].filter(
    (e) => e.streamOrdering <= req.upTo && matchesEventFilter(req.filter, { type: e.type, sender: e.sender, roomId: e.roomId }),
  );
}
