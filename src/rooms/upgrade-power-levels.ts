// Power levels across a room upgrade (behaviour spec §7.4, §7.7), pure: the old levels
// normalised to integers, the temporary raise that lets the upgrader write the copied
// state and bans, the levels the new room ends with, and the muting of the old room.
import { MatrixError } from "../http/errors.ts";
import type { RoomVersion } from "../matrix/room-versions.ts";

const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;
const MAPS = new Set(["events", "notifications", "users"]);

function asInteger(value: unknown, key: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && INTEGER_STRING.test(value)) return Number(value.trim()) + 0;
  throw new MatrixError(400, "M_UNKNOWN", `The room's power levels cannot be copied: ${key} is not an integer`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A copy with every level an integer (v1-9 rooms allow "100"); 400 for values that are not levels. */
export function normalisePowerLevels(content: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(content)) {
    if (MAPS.has(k) && isRecord(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([k1, v1]) => [k1, asInteger(v1, `${k}.${k1}`)]));
    } else {
      out[k] = asInteger(v, k);
    }
  }
  return out;
}

function levelOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) ? value : fallback;
}

/** The level the upgrader needs to send every copied state event and ban. */
export function levelNeededToCopy(normalised: Record<string, unknown>): number {
  const events = isRecord(normalised.events) ? Object.values(normalised.events).filter((v): v is number => typeof v === "number") : [];
  return Math.max(levelOr(normalised.state_default, 50), levelOr(normalised.ban, 50), ...events, 0);
}

function withoutCreators(content: Record<string, unknown>, rv: RoomVersion, creators: string[]): Record<string, unknown> {
  if (!rv.privilegedCreators || !isRecord(content.users)) return content;
  const users = { ...content.users };
  for (const c of creators) delete users[c];
  return { ...content, users };
}

/**
 * The new room's levels while it is being filled: the old ones, the upgrader raised to
 * levelNeededToCopy when below it. In rooms with creator power, creators leave `users`.
 */
export function creationPowerLevels(normalised: Record<string, unknown>, userId: string, rv: RoomVersion, creators: string[]): Record<string, unknown> {
  const needed = levelNeededToCopy(normalised);
  const users = isRecord(normalised.users) ? { ...normalised.users } : {};
  const own = typeof users[userId] === "number" ? (users[userId] as number) : levelOr(normalised.users_default, 0);
  const content = { ...normalised };
  if (own < needed) {
    users[userId] = needed;
    content.users = users;
  }
  return withoutCreators(content, rv, creators);
}

/** The new room's levels once filled: the old ones (creators out of `users` where they have creator power). */
export function finalPowerLevels(normalised: Record<string, unknown>, rv: RoomVersion, creators: string[]): Record<string, unknown> {
  return withoutCreators(normalised, rv, creators);
}

/**
 * The old room's levels after the upgrade: `invite` and `events_default` raised to
 * max(users_default + 1, 50) so only moderators speak; null when nothing changes.
 */
export function mutedOldPowerLevels(content: Record<string, unknown>): Record<string, unknown> | null {
  const int = (v: unknown, dflt: number) => {
    if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
    if (typeof v === "string" && INTEGER_STRING.test(v)) return Number(v.trim());
    return dflt;
  };
  const restricted = Math.max(int(content.users_default, 0) + 1, 50);
  const out = { ...content };
  let changed = false;
  for (const key of ["invite", "events_default"]) {
    if (int(content[key], 0) < restricted) {
      out[key] = restricted;
      changed = true;
    }
  }
  return changed ? out : null;
}
