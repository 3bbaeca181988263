// The authorisation rules of room versions 1-12 (content/rooms/v*.md "Authorisation rules").
// Rule numbers in comments follow v11; v1-5 add the aliases rule and v12 the room-id rule.
import { AuthError, reject } from "./auth-error.ts";
import { authorizeMembership, membershipIn } from "./auth-membership.ts";
import { createEventIdForRoom, eventSizeProblem, redactsOf, type PDU, type StateMap } from "./events.ts";
import { parseUserId, serverNameOf } from "./identifiers.ts";
import {
  createEventOf,
  isValidPowerLevelValue,
  namedPowerLevel,
  parsePowerLevel,
  powerLevelsEventOf,
  requiredEventPowerLevel,
  roomCreators,
  userPowerLevel,
} from "./power-levels.ts";
import { getRoomVersion, type RoomVersion } from "./room-versions.ts";

export { AuthError } from "./auth-error.ts";
export { authStateFromAuthEvents, authStateKeysFor, selectAuthEvents } from "./auth-events.ts";

export interface AuthorizeOptions {
  /**
   * The caller has already applied the size limits (eventSizeProblem or an equivalent
   * bound) to this exact event, so the rules skip their own check, which costs a full
   * canonical JSON encoding.
   */
  sizeChecked?: boolean;
}

/**
 * Throws AuthError unless `event` passes the auth rules against `authState` — the event's
 * auth events (see authStateFromAuthEvents), the state before it, or the current state.
 * The state must hold the room's m.room.create event (in v12 too, though it is not cited).
 * Signatures are not verified here; see requiredSigningServers for what the caller checks.
 */
export function authorizeEvent(
  event: PDU,
  authState: StateMap,
  roomVersion: RoomVersion,
  opts: AuthorizeOptions = {},
): void {
  // The format checks on receipt should have dropped these; never let them reach the rules.
  if (typeof event.type !== "string" || typeof event.sender !== "string" || !isRecord(event.content)) {
    reject("malformed event: type, sender and content are required");
  }
  if (event.state_key !== undefined && typeof event.state_key !== "string") reject("malformed event: state_key");
  if (!opts.sizeChecked) {
    const sizeProblem = eventSizeProblem(event);
    if (sizeProblem) reject(sizeProblem);
  }

  // 1. m.room.create
  if (event.type === "m.room.create") return authorizeCreate(event, roomVersion);

  const create = createEventOf(authState);
  if (!create) reject("no m.room.create event in the auth state");
  // v12 rule 2: the room id is the create event's id.
  if (roomVersion.roomIdIsCreateEventHash) {
    if (typeof event.room_id !== "string" || createEventIdForRoom(event.room_id) !== create.eventId) {
      reject("room_id does not match the m.room.create event");
    }
  }

  // 3. m.federate
  if (create.pdu.content?.["m.federate"] === false && serverNameOf(event.sender) !== serverNameOf(create.pdu.sender)) {
    reject("room does not federate");
  }

  // v1-5 rule 4: m.room.aliases
  if (event.type === "m.room.aliases" && roomVersion.specialCaseAliasesAuth) {
    if (typeof event.state_key !== "string") reject("m.room.aliases needs a state_key");
    if (event.state_key !== serverNameOf(event.sender)) reject("m.room.aliases state_key must be the sender's server");
    return;
  }

  // 4. m.room.member
  if (event.type === "m.room.member") return authorizeMembership(event, authState, roomVersion, create);

  // 5. everything else needs a joined sender
  if (membershipIn(authState, event.sender) !== "join") reject("sender is not joined to the room");

  const senderLevel = userPowerLevel(authState, event.sender, roomVersion);
  // 6. m.room.third_party_invite
  if (event.type === "m.room.third_party_invite") {
    if (senderLevel >= namedPowerLevel(authState, "invite")) return;
    reject("sender's power level is below the invite level");
  }

  // 7. required power level
  const isState = typeof event.state_key === "string";
  if (requiredEventPowerLevel(authState, event.type, isState) > senderLevel) {
    reject(`sender's power level is too low to send ${event.type}`);
  }

  // 8. state keys naming a user belong to that user
  if (isState && event.state_key!.startsWith("@") && event.state_key !== event.sender) {
    reject("state_key starting with @ must be the sender");
  }

  // 9. m.room.power_levels
  if (event.type === "m.room.power_levels") {
    return authorizePowerLevels(event, authState, roomVersion, senderLevel);
  }

  // v1-2 rule 11: m.room.redaction
  if (event.type === "m.room.redaction" && roomVersion.redactionAuthRule) {
    if (senderLevel >= namedPowerLevel(authState, "redact")) return;
    const redacts = redactsOf(event, roomVersion);
    const ownDomain = typeof event.event_id === "string" ? serverNameOf(event.event_id) : null;
    if (ownDomain !== null && redacts !== undefined && serverNameOf(redacts) === ownDomain) return;
    reject("redacting another server's event needs the redact level");
  }
}

/** Like authorizeEvent, but returns the failure reason (or null) instead of throwing. */
export function authFailure(event: PDU, authState: StateMap, roomVersion: RoomVersion): string | null {
  try {
    authorizeEvent(event, authState, roomVersion);
    return null;
  } catch (err) {
    if (err instanceof AuthError) return err.reason;
    throw err;
  }
}

function authorizeCreate(event: PDU, rv: RoomVersion): void {
  if (Array.isArray(event.prev_events) && event.prev_events.length > 0) reject("m.room.create has prev_events");
  if (rv.roomIdIsCreateEventHash) {
    if (event.room_id !== undefined) reject("m.room.create must not have a room_id");
  } else {
    const roomServer = typeof event.room_id === "string" ? serverNameOf(event.room_id) : null;
    if (roomServer === null || roomServer !== serverNameOf(event.sender)) {
      reject("m.room.create room_id domain does not match the sender's");
    }
  }
  const content = event.content ?? {};
  if ("room_version" in content && (typeof content.room_version !== "string" || !getRoomVersion(content.room_version))) {
    reject("m.room.create names an unknown room version");
  }
  if (!rv.implicitRoomCreator && !("creator" in content)) reject("m.room.create has no creator");
  if (rv.privilegedCreators && "additional_creators" in content) {
    const extra = content.additional_creators;
    if (!Array.isArray(extra) || !extra.every((u) => typeof u === "string" && parseUserId(u) !== null)) {
      reject("additional_creators must be an array of user ids");
    }
  }
}

const NAMED_LEVELS = ["users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function authorizePowerLevels(event: PDU, state: StateMap, rv: RoomVersion, senderLevel: number): void {
  const next = event.content ?? {};
  // 9.1-9.3: shape. v10+ wants integers everywhere; v1-9 only checks `users` (integers or integer strings).
  if (rv.enforceIntPowerLevels) {
    for (const name of NAMED_LEVELS) {
      if (name in next && !isValidPowerLevelValue(next[name], rv)) reject(`${name} must be an integer`);
    }
    for (const name of ["events", "notifications"]) {
      if (name in next && !levelObjectValid(next[name], rv)) reject(`${name} must map to integers`);
    }
  }
  if ("users" in next) {
    const users = next.users;
    if (!levelObjectValid(users, rv)) reject("users must map user ids to integers");
    for (const userId of Object.keys(users as object)) {
      if (parseUserId(userId) === null) reject(`users has an invalid user id ${userId}`);
    }
  }
  // v12 rule 10.4: creators are not listed.
  if (rv.privilegedCreators && isRecord(next.users)) {
    for (const creator of roomCreators(state, rv)) {
      if (Object.hasOwn(next.users, creator)) reject(`room creator ${creator} must not be in users`);
    }
  }

  const previous = powerLevelsEventOf(state);
  if (!previous) return;
  const prev = previous.pdu.content ?? {};

  // 9.5: named levels added, changed or removed.
  for (const name of NAMED_LEVELS) {
    checkChange(name, prev[name], next[name], name in prev, name in next, senderLevel, false);
  }
  // 9.6/9.7: events (and notifications from v6).
  const maps = rv.limitNotificationsPowerLevels ? ["events", "notifications"] : ["events"];
  for (const name of maps) {
    const before = asMap(prev[name]);
    const after = asMap(next[name], `${name} must be an object`);
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      checkChange(`${name}.${key}`, before[key], after[key], key in before, key in after, senderLevel, false);
    }
  }
  // 9.8/9.9: users; lowering or removing someone else needs a strictly higher level.
  const before = asMap(prev.users);
  const after = asMap(next.users);
  for (const userId of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const strictOld = userId !== event.sender;
    checkChange(`users.${userId}`, before[userId], after[userId], userId in before, userId in after, senderLevel, strictOld);
  }
}

function levelObjectValid(value: unknown, rv: RoomVersion): boolean {
  return isRecord(value) && Object.values(value).every((v) => isValidPowerLevelValue(v, rv));
}

function asMap(value: unknown, problem?: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (isRecord(value)) return value;
  // An old event's malformed map (only possible before v10) is read as empty.
  if (problem) reject(problem);
  return {};
}

function checkChange(
  what: string,
  oldRaw: unknown,
  newRaw: unknown,
  hadOld: boolean,
  hasNew: boolean,
  senderLevel: number,
  oldMustBeBelow: boolean,
): void {
  // Values an old event let through unparsed (v1-9) count as absent.
  const oldLevel = hadOld ? parsePowerLevel(oldRaw) : undefined;
  const newLevel = hasNew ? parsePowerLevel(newRaw) : undefined;
  if (hasNew && newLevel === undefined) reject(`${what} is not a power level`);
  if (oldLevel === newLevel) return;
  if (oldLevel !== undefined && (oldMustBeBelow ? oldLevel >= senderLevel : oldLevel > senderLevel)) {
    reject(`cannot change ${what}: its current level is ${oldMustBeBelow ? "not below" : "above"} the sender's`);
  }
  if (newLevel !== undefined && newLevel > senderLevel) reject(`cannot set ${what} above the sender's level`);
}
