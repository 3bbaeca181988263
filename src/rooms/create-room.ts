// POST /createRoom: the initial events in the spec's order, built in memory on a new
// head and persisted in one transaction, so a room exists completely or not at all.
import { randomBytes } from "node:crypto";
import type { Requester } from "../http/context.ts";
import { MatrixError, invalidParam, tooLarge } from "../http/errors.ts";
import { AuthError, authorizeEvent } from "../matrix/auth-rules.ts";
import { CanonicalJsonError } from "../matrix/canonical-json.ts";
import { buildEvent, eventSizeProblem, type PDU } from "../matrix/events.ts";
import { isValidLocalpart, isValidRoomAlias, isValidUserId } from "../matrix/identifiers.ts";
import { CREATABLE_ROOM_VERSIONS, DEFAULT_ROOM_VERSION, getRoomVersion, type RoomVersion } from "../matrix/room-versions.ts";
import type { SigningKey } from "../matrix/signing.ts";
import type { Clock } from "../observability/clock.ts";
import type { RateLimiters } from "../ratelimit/limiters.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { RoomAliases } from "./aliases.ts";
import { aliasesToValidate, checkAliasesPointTo } from "./canonical-alias.ts";
import { applyBuiltEvent, type NewEvent } from "./event-builder.ts";
import type { EventWriter } from "./event-writer.ts";
import type { RoomEvents } from "./room-events.ts";
import type { RoomHead, RoomHeadCache } from "./room-head.ts";
import { initialStateEvents, type CreateRoomRequest } from "./create-room-state.ts";

export type { CreateRoomRequest } from "./create-room-state.ts";

export interface CreateRoomDeps {
  serverName: string;
  signingKey: SigningKey;
  clock: Clock;
  defaultRoomVersion?: string;
  heads: RoomHeadCache;
  writer: EventWriter;
  events: RoomEvents;
  users: UsersStore;
  limiters: RateLimiters;
  aliases: () => RoomAliases;
}

const ROOM_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

function randomRoomLocalpart(): string {
  return Array.from(randomBytes(18), (b) => ROOM_ID_CHARS[b % ROOM_ID_CHARS.length]).join("");
}

/** A fresh id for a room whose version does not derive it from the create event. */
export function randomRoomId(serverName: string): string {
  return `!${randomRoomLocalpart()}:${serverName}`;
}

export interface CreateRoomOptions {
  /**
   * The id to use (room upgrade: the tombstone names it before the room exists); only for
   * versions whose ids are not the create event's hash. 500 if it is taken.
   */
  roomId?: string;
}

export async function createRoom(
  deps: CreateRoomDeps,
  requester: Requester,
  req: CreateRoomRequest,
  opts: CreateRoomOptions = {},
): Promise<{ roomId: string; alias?: string }> {
  const userId = requester.userId;
  if (requester.isGuest) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access not allowed");
  const versionId = req.room_version ?? deps.defaultRoomVersion ?? DEFAULT_ROOM_VERSION;
  const rv = getRoomVersion(versionId);
  if (!rv || !CREATABLE_ROOM_VERSIONS.includes(versionId)) {
    throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", "Your homeserver does not support this room version");
  }
  const invitees = [...new Set(req.invite ?? [])];
  for (const u of invitees) if (!isValidUserId(u, { historical: true })) throw invalidParam(`Invalid user id in invite: ${u}`);
  if (invitees.length > 0) deps.limiters.invitesPerRoom.ratelimit({ requester: userId, nActions: invitees.length });

  let alias: string | undefined;
  if (req.room_alias_name !== undefined) {
    alias = `#${req.room_alias_name}:${deps.serverName}`;
    if (!isValidLocalpart(req.room_alias_name, { historical: true }) || req.room_alias_name.length === 0 || !isValidRoomAlias(alias)) {
      throw invalidParam("Invalid characters in room alias");
    }
    await deps.aliases().checkAvailable(alias, userId);
  }
  await checkInitialCanonicalAlias(req, alias);

  const preset = req.preset ?? (req.visibility === "public" ? "public_chat" : "private_chat");
  const createContent = creationContent(rv, req, userId, preset, invitees);
  const now = deps.clock.now();
  const givenId = rv.roomIdIsCreateEventHash ? undefined : opts.roomId;
  let create: { eventId: string; pdu: PDU } | undefined;
  let roomId = "";
  for (let attempt = 0; !create; attempt++) {
    if (attempt >= (givenId === undefined ? 50 : 1)) throw new MatrixError(500, "M_UNKNOWN", "Could not allocate a room id");
    // A later timestamp makes a different v12 room id when an identical create event exists.
    const candidate = buildCreateEvent(deps, rv, userId, createContent, now + attempt, givenId);
    const id = rv.roomIdIsCreateEventHash ? `!${candidate.eventId.slice(1)}` : candidate.pdu.room_id!;
    if (await deps.heads.reserve(id)) {
      create = candidate;
      roomId = id;
    }
  }
  try {
    return await createReservedRoom(deps, requester, req, { rv, roomId, create, createContent, preset, invitees, alias, now });
  } finally {
    deps.heads.release(roomId);
  }
}

/**
 * A canonical alias in initial_state gets the checks of PUT /state: well-formed aliases
 * (400 M_INVALID_PARAM) that point to the room (400 M_BAD_ALIAS). Of a room not created
 * yet, only the alias of room_alias_name can (it is created with the room).
 */
async function checkInitialCanonicalAlias(req: CreateRoomRequest, alias: string | undefined): Promise<void> {
  // The later of two entries with the same state key wins, as when the events are built.
  const latest = new Map<string, Record<string, unknown>>();
  for (const s of req.initial_state ?? []) if (s.type === "m.room.canonical_alias") latest.set(s.state_key ?? "", s.content);
  const newRoom = { roomId: "" };
  for (const content of latest.values()) {
    await checkAliasesPointTo(aliasesToValidate(content, undefined), newRoom.roomId, async (a) => (a === alias ? newRoom : null));
  }
}

function buildCreateEvent(
  deps: CreateRoomDeps,
  rv: RoomVersion,
  userId: string,
  content: Record<string, unknown>,
  ts: number,
  roomId: string | undefined,
) {
  let create: { eventId: string; pdu: PDU };
  try {
    create = buildEvent(
      {
        roomVersion: rv,
        roomId: rv.roomIdIsCreateEventHash ? undefined : (roomId ?? randomRoomId(deps.serverName)),
        sender: userId,
        type: "m.room.create",
        stateKey: "",
        content,
        prevEvents: [],
        authEvents: [],
        depth: 1,
        originServerTs: ts,
      },
      deps.serverName,
      deps.signingKey,
    );
  } catch (err) {
    if (err instanceof CanonicalJsonError || err instanceof TypeError) throw new MatrixError(400, "M_BAD_JSON", err.message);
    throw err;
  }
  const sizeProblem = eventSizeProblem(create.pdu, create.eventId);
  if (sizeProblem) throw tooLarge(sizeProblem);
  try {
    authorizeEvent(create.pdu, new Map(), rv);
  } catch (err) {
    if (err instanceof AuthError) throw new MatrixError(400, "M_BAD_JSON", `Invalid creation_content: ${err.reason}`);
    throw err;
  }
  return create;
}

interface ReservedRoom {
  rv: RoomVersion;
  roomId: string;
  create: { eventId: string; pdu: PDU };
  createContent: Record<string, unknown>;
  preset: string;
  invitees: string[];
  alias: string | undefined;
  now: number;
}

async function createReservedRoom(
  deps: CreateRoomDeps,
  requester: Requester,
  req: CreateRoomRequest,
  r: ReservedRoom,
): Promise<{ roomId: string; alias?: string }> {
  const { rv, roomId, create, createContent, preset, invitees, alias, now } = r;
  const userId = requester.userId;
  const head: RoomHead = {
    roomId,
    roomVersion: rv,
    create,
    state: new Map(),
    members: new Map(),
    allMembersKnown: true,
    extremities: [],
    depth: 0,
    pending: 0,
    persistedStateGroup: null,
    invalid: false,
  };
  const createSpec: NewEvent = { type: "m.room.create", stateKey: "", content: createContent, sender: userId };
  const built = [applyBuiltEvent(head, createSpec, create)];
  const profile = await profileOf(deps.users, userId);
  const inviteeProfiles = new Map<string, Record<string, unknown>>();
  for (const u of invitees) inviteeProfiles.set(u, await profileOf(deps.users, u));
  const rest = initialStateEvents(rv, req, { userId, preset, alias, invitees, profile, inviteeProfiles });
  built.push(...deps.events.buildAll(head, rest));

  // The alias is claimed first, as Synapse does: losing a race for it then leaves no room behind.
  if (alias !== undefined) await deps.aliases().create(alias, roomId, userId);
  deps.heads.add(head);
  const roomType = typeof createContent.type === "string" ? createContent.type : null;
  try {
    await deps.writer.submit(head, built, {
      roomId,
      roomVersion: rv.id,
      creator: userId,
      createdTs: now,
      isPublic: req.visibility === "public",
      roomType,
    });
  } catch (err) {
    if (alias !== undefined) await deps.aliases().remove?.(alias);
    throw err;
  }
  return alias !== undefined ? { roomId, alias } : { roomId };
}

function creationContent(
  rv: RoomVersion,
  req: CreateRoomRequest,
  userId: string,
  preset: string,
  invitees: string[],
): Record<string, unknown> {
  const content: Record<string, unknown> = { ...(req.creation_content ?? {}) };
  delete content.creator;
  content.room_version = rv.id;
  if (!rv.implicitRoomCreator) content.creator = userId;
  if (rv.privilegedCreators) {
    const extra = content.additional_creators;
    if (extra !== undefined && (!Array.isArray(extra) || !extra.every((u) => typeof u === "string" && isValidUserId(u, { historical: true })))) {
      throw invalidParam("additional_creators must be a list of user ids");
    }
    const creators = new Set<string>(Array.isArray(extra) ? (extra as string[]) : []);
    if (preset === "trusted_private_chat") for (const u of invitees) creators.add(u);
    creators.delete(userId);
    if (creators.size > 0) content.additional_creators = [...creators];
    else delete content.additional_creators;
  } else {
    delete content.additional_creators;
  }
  return content;
}

async function profileOf(users: UsersStore, userId: string): Promise<Record<string, unknown>> {
  const user = await users.get(userId);
  const out: Record<string, unknown> = {};
  if (user?.displayname) out.displayname = user.displayname;
  if (user?.avatarUrl) out.avatar_url = user.avatarUrl;
  return out;
}
