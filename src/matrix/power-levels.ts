// Reading power levels out of room state, with the spec's defaults (m.room.power_levels
// schema, server-server "Definitions") and v12 creators' infinite power (MSC4289).
import { stateKey, type StateMap, type StoredEvent } from "./events.ts";
import type { RoomVersion } from "./room-versions.ts";

export { stateKey, type StateMap } from "./events.ts";

export interface PowerLevels {
  users: Record<string, number>;
  users_default: number;
  events: Record<string, number>;
  events_default: number;
  state_default: number;
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  notifications: Record<string, number>;
}

const STRINGY_INTEGER = /^\s*[+-]?\d+\s*$/;

/**
 * A power level value as an integer, or undefined if it is not one. Reads the legacy forms
 * v1-9 accept (integer strings, floats truncated) regardless of version: v10+ events with
 * those forms never pass the auth rules, so they cannot be in v10+ state.
 */
export function parsePowerLevel(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) + 0 : undefined;
  if (typeof value === "string" && STRINGY_INTEGER.test(value)) return Number(value.trim()) + 0;
  return undefined;
}

/** Whether `value` is a power level the room version accepts in an event. */
export function isValidPowerLevelValue(value: unknown, roomVersion: RoomVersion): boolean {
  if (roomVersion.enforceIntPowerLevels) return typeof value === "number" && Number.isInteger(value);
  return parsePowerLevel(value) !== undefined;
}

export function createEventOf(state: StateMap): StoredEvent | undefined {
  return state.get(stateKey("m.room.create", ""));
}

export function powerLevelsEventOf(state: StateMap): StoredEvent | undefined {
  return state.get(stateKey("m.room.power_levels", ""));
}

/** v12: sender + additional_creators. Earlier: the single creator (content.creator, or sender from v11). */
export function roomCreators(state: StateMap, roomVersion: RoomVersion): Set<string> {
  const create = createEventOf(state);
  const creators = new Set<string>();
  if (!create) return creators;
  if (roomVersion.implicitRoomCreator) {
    creators.add(create.pdu.sender);
  } else if (typeof create.pdu.content?.creator === "string") {
    creators.add(create.pdu.content.creator);
  }
  const additional = create.pdu.content?.additional_creators;
  if (roomVersion.privilegedCreators && Array.isArray(additional)) {
    for (const c of additional) if (typeof c === "string") creators.add(c);
  }
  return creators;
}

function levelMap(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    const level = parsePowerLevel(v);
    if (level !== undefined) out[k] = level;
  }
  return out;
}

function content(state: StateMap): Record<string, unknown> | undefined {
  return powerLevelsEventOf(state)?.pdu.content;
}

function named(c: Record<string, unknown> | undefined, name: string, fallback: number): number {
  return parsePowerLevel(c?.[name]) ?? fallback;
}

/**
 * The effective power levels with defaults filled in. Without a power levels event the
 * creator has 100 before v12; v12 creators are never listed (see userPowerLevel).
 */
export function powerLevelsContent(state: StateMap, roomVersion: RoomVersion): PowerLevels {
  const c = content(state);
  let users = levelMap(c?.users);
  if (!c && !roomVersion.privilegedCreators) {
    users = Object.fromEntries([...roomCreators(state, roomVersion)].map((u) => [u, 100]));
  }
  return {
    users,
    users_default: named(c, "users_default", 0),
    events: levelMap(c?.events),
    events_default: named(c, "events_default", 0),
    state_default: named(c, "state_default", 50),
    ban: named(c, "ban", 50),
    kick: named(c, "kick", 50),
    redact: named(c, "redact", 50),
    invite: named(c, "invite", 0),
    notifications: { room: 50, ...levelMap(c?.notifications) },
  };
}

/** A user's level; Infinity for v12+ room creators. */
export function userPowerLevel(state: StateMap, userId: string, roomVersion: RoomVersion): number {
  if (roomVersion.privilegedCreators && roomCreators(state, roomVersion).has(userId)) return Infinity;
  const c = content(state);
  if (!c) return roomCreators(state, roomVersion).has(userId) ? 100 : 0;
  const users = c.users;
  const own =
    typeof users === "object" && users !== null && Object.hasOwn(users, userId)
      ? parsePowerLevel((users as Record<string, unknown>)[userId])
      : undefined;
  return own ?? named(c, "users_default", 0);
}

/** The level named by `invite`, `kick`, `ban` or `redact` (defaults 0, 50, 50, 50). */
export function namedPowerLevel(state: StateMap, name: "invite" | "kick" | "ban" | "redact"): number {
  return named(content(state), name, name === "invite" ? 0 : 50);
}

/** The "required power level" for an event type: `events[type]`, else state_default / events_default. */
export function requiredEventPowerLevel(state: StateMap, eventType: string, isState: boolean): number {
  const c = content(state);
  const events = c?.events;
  if (typeof events === "object" && events !== null && Object.hasOwn(events, eventType)) {
    const level = parsePowerLevel((events as Record<string, unknown>)[eventType]);
    if (level !== undefined) return level;
  }
  return isState ? named(c, "state_default", 50) : named(c, "events_default", 0);
}

export function canUserSend(
  state: StateMap,
  userId: string,
  eventType: string,
  isState: boolean,
  roomVersion: RoomVersion,
): boolean {
  return userPowerLevel(state, userId, roomVersion) >= requiredEventPowerLevel(state, eventType, isState);
}

/** The level needed for a notification key such as `room` (@room); 50 unless set. */
export function notificationPowerLevel(state: StateMap, key = "room"): number {
  const notifications = content(state)?.notifications;
  if (typeof notifications === "object" && notifications !== null && Object.hasOwn(notifications, key)) {
    const level = parsePowerLevel((notifications as Record<string, unknown>)[key]);
    if (level !== undefined) return level;
  }
  return 50;
}
