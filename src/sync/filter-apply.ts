import { splitPropertyPath } from "../push/property-path.ts";
import type { EventFilter, Filter, RoomEventFilter } from "./filter.ts";

/** The parts of an event (or presence update, or account data) a filter looks at. */
export interface FilterableEvent {
  type: string;
  sender?: string;
  roomId?: string;
  content?: unknown;
}

type AnyEventFilter = EventFilter | RoomEventFilter;

/** Event-type patterns: `*` matches any run of characters, anything else itself. */
export function matchesTypePattern(type: string, pattern: string): boolean {
  if (!pattern.includes("*")) return type === pattern;
  const parts = pattern.split("*");
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!type.startsWith(first)) return false;
  let pos = first.length;
  // Leftmost placement of each middle part leaves the most room for the rest.
  for (let i = 1; i < parts.length - 1; i++) {
    const at = type.indexOf(parts[i], pos);
    if (at < 0) return false;
    pos = at + parts[i].length;
  }
  return type.length - last.length >= pos && type.endsWith(last);
}

/** Applies an allow list and a deny list; the deny list wins. */
function allowed<T>(
  value: T | undefined,
  allow: unknown,
  deny: unknown,
  matches: (value: T, entry: string) => boolean,
): boolean {
  // Lists are checked as arrays: an event filter may carry unvalidated extra keys.
  if (Array.isArray(deny) && value !== undefined && deny.some((d) => matches(value, d))) return false;
  if (Array.isArray(allow)) return value !== undefined && allow.some((a) => matches(value, a));
  return true;
}

const same = (a: string, b: string) => a === b;

/** Whether an event passes an event filter or room event filter. Absent filters pass everything. */
export function matchesEventFilter(filter: AnyEventFilter | undefined, event: FilterableEvent): boolean {
  if (!filter) return true;
  if (!allowed(event.type, filter.types, filter.not_types, matchesTypePattern)) return false;
  if (!allowed(event.sender, filter.senders, filter.not_senders, same)) return false;
  const roomFilter = filter as RoomEventFilter;
  if (!allowed(event.roomId, roomFilter.rooms, roomFilter.not_rooms, same)) return false;
  if (typeof roomFilter.contains_url === "boolean") {
    const content = event.content;
    const hasUrl =
      typeof content === "object" && content !== null && typeof (content as Record<string, unknown>).url === "string";
    if (hasUrl !== roomFilter.contains_url) return false;
  }
  return true;
}

/** Whether the top-level room filter (`room.rooms`, `room.not_rooms`) lets a room through. */
export function matchesRoom(filter: Filter | undefined, roomId: string): boolean {
  const room = filter?.room;
  return allowed(roomId, room?.rooms, room?.not_rooms, same);
}

/**
 * True when a sub-filter can match nothing, so the caller may skip the work of
 * loading events for it at all.
 */
export function excludesEverything(filter: AnyEventFilter | undefined): boolean {
  if (!filter) return false;
  const roomFilter = filter as RoomEventFilter;
  return (
    filter.types?.length === 0 ||
    filter.not_types?.includes("*") === true ||
    filter.senders?.length === 0 ||
    (Array.isArray(roomFilter.rooms) && roomFilter.rooms.length === 0)
  );
}

/** The timeline limit a /sync should use: the filter's, else `dflt`, never above `max`. */
export function timelineLimit(filter: Filter | undefined, dflt = 10, max = Number.POSITIVE_INFINITY): number {
  return Math.min(filter?.room?.timeline?.limit ?? dflt, max);
}

export function includeLeave(filter: Filter | undefined): boolean {
  return filter?.room?.include_leave === true;
}

/** Lazy-loading members is requested on the state filter, as clients (and Synapse) do it. */
export function lazyLoadMembers(filter: Filter | undefined): boolean {
  return filter?.room?.state?.lazy_load_members === true;
}

export function includeRedundantMembers(filter: Filter | undefined): boolean {
  return filter?.room?.state?.include_redundant_members === true;
}

/** Per-thread notification counts are requested on the timeline filter, as matrix-js-sdk does. */
export function unreadThreadNotifications(filter: Filter | undefined): boolean {
  return filter?.room?.timeline?.unread_thread_notifications === true;
}

export function eventFormat(filter: Filter | undefined): "client" | "federation" {
  return filter?.event_format ?? "client";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Keeps only the listed fields of an event (`event_fields`), each a dotted path
 * with `\.` escaping. Absent or empty `fields` keep everything, as Synapse does.
 * Copied values are shared with the input, which is never modified.
 */
export function applyEventFields(
  event: Record<string, unknown>,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  if (!fields || fields.length === 0) return event;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const path = splitPropertyPath(field);
    let src: unknown = event;
    for (let i = 0; i < path.length - 1 && src !== undefined; i++) {
      src = isPlainObject(src) && Object.hasOwn(src, path[i]) ? src[path[i]] : undefined;
    }
    const leaf = path[path.length - 1];
    if (!isPlainObject(src) || !Object.hasOwn(src, leaf)) continue;
    let dst = out;
    for (let i = 0; i < path.length - 1; i++) {
      // Copy on the way down: an earlier field may have put the input's own object here.
      const existing = dst[path[i]];
      const next: Record<string, unknown> = isPlainObject(existing) ? { ...existing } : {};
      dst[path[i]] = next;
      dst = next;
    }
    dst[leaf] = src[leaf];
  }
  return out;
}
