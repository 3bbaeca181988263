// The federation event (PDU) shape, building and signing new events, and the client format.
//
// Conventions shared by the matrix/ modules:
// - A PDU never carries its own id from v3 on, so events travel as `StoredEvent`
//   ({ eventId, pdu }) wherever the id matters (auth state, auth events).
// - Room state is a `StateMap`: Map<stateKey(type, state_key), StoredEvent>, where
//   stateKey joins the two with a NUL (which neither may contain).
// - Room versions are passed as `RoomVersion` descriptors (see room-versions.ts).
import { randomBytes } from "node:crypto";
import { canonicalJson, canonicalJsonBytes, canonicalOrderCopy, UTF8 } from "./canonical-json.ts";
import { encodeBase64 } from "./base64.ts";
import { eventIdFromReferenceHash, sha256 } from "./hashing.ts";
import { serverNameOf, utf8Length } from "./identifiers.ts";
import { redactEvent } from "./redaction.ts";
import type { RoomVersion } from "./room-versions.ts";
import { sign as signEd25519, type Signatures, type SigningKey } from "./signing.ts";

/** v3+: an event id. v1/v2: `[event_id, { sha256: reference hash }]`. */
export type EventReference = string | [string, Record<string, string>];

export interface PDU {
  auth_events: EventReference[];
  prev_events: EventReference[];
  content: Record<string, unknown>;
  depth: number;
  hashes: { sha256: string; [algorithm: string]: string };
  origin_server_ts: number;
  /** Absent only on v12+ create events, whose id is the room id. */
  room_id?: string;
  sender: string;
  signatures: Signatures;
  state_key?: string;
  type: string;
  unsigned?: Record<string, unknown>;
  /** Top-level in v1-10; v11+ carries it in content. */
  redacts?: string;
  /** Only in v1/v2, where ids are chosen by the origin server. */
  event_id?: string;
  /** Legacy keys (origin, membership, prev_state...) are kept so hashes still verify. */
  [key: string]: unknown;
}

export interface StoredEvent {
  eventId: string;
  pdu: PDU;
}

export type StateMap = Map<string, StoredEvent>;

export function stateKey(type: string, key: string): string {
  return `${type}\u0000${key}`;
}

function referenceId(ref: EventReference): string {
  return typeof ref === "string" ? ref : ref[0];
}

export function prevEventIds(pdu: PDU): string[] {
  return Array.isArray(pdu.prev_events) ? pdu.prev_events.map(referenceId) : [];
}

export function authEventIds(pdu: PDU): string[] {
  return Array.isArray(pdu.auth_events) ? pdu.auth_events.map(referenceId) : [];
}

export function isStateEvent(pdu: PDU): boolean {
  return typeof pdu.state_key === "string";
}

/** The id of the event a redaction targets, from content (v11+) or the top level (v1-10). */
export function redactsOf(pdu: PDU, roomVersion: RoomVersion): string | undefined {
  const value = roomVersion.redactsInContent ? pdu.content?.redacts : pdu.redacts;
  return typeof value === "string" ? value : undefined;
}

/** The v12+ create event id a room id stands for. */
export function createEventIdForRoom(roomId: string): string {
  return `$${roomId.slice(1)}`;
}

export const MAX_PDU_BYTES = 65536;

/** Why the event breaks the spec's size limits, or null. Callers map a reason to 413 M_TOO_LARGE. */
export function eventSizeProblem(pdu: PDU, eventId?: string): string | null {
  for (const [name, value] of [
    ["sender", pdu.sender],
    ["room_id", pdu.room_id],
    ["state_key", pdu.state_key],
    ["type", pdu.type],
    ["event_id", eventId ?? pdu.event_id],
  ] as const) {
    if (typeof value === "string" && utf8Length(value) > 255) return `'${name}' is longer than 255 bytes`;
  }
  let size: number;
  try {
    size = canonicalJsonBytes(pdu, { lenientNumbers: true }).length;
  } catch {
    return "event is not encodable as JSON";
  }
  return size > MAX_PDU_BYTES ? `event is larger than ${MAX_PDU_BYTES} bytes` : null;
}

/**
 * Servers whose signatures an event needs: the sender's (except for third-party-invite
 * invites, which may be sent by another server), the event id's domain in v1/v2, and the
 * authorising user's server for member events with join_authorised_via_users_server (v8+).
 */
export function requiredSigningServers(pdu: PDU, eventId: string, roomVersion: RoomVersion): string[] {
  const servers = new Set<string>();
  const isThirdPartyInvite =
    pdu.type === "m.room.member" && pdu.content?.membership === "invite" && "third_party_invite" in (pdu.content ?? {});
  const senderServer = serverNameOf(pdu.sender);
  if (senderServer !== null && !isThirdPartyInvite) servers.add(senderServer);
  if (roomVersion.eventIdInPdu) {
    const idServer = serverNameOf(eventId);
    if (idServer !== null) servers.add(idServer);
  }
  const authoriser = pdu.content?.join_authorised_via_users_server;
  if (roomVersion.restrictedJoinRule && pdu.type === "m.room.member" && typeof authoriser === "string") {
    const server = serverNameOf(authoriser);
    if (server !== null) servers.add(server);
  }
  return [...servers];
}

export interface BuildEventInput {
  roomVersion: RoomVersion;
  /** Required except for the create event of a v12+ room. */
  roomId?: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: Record<string, unknown>;
  prevEvents: EventReference[];
  authEvents: EventReference[];
  depth: number;
  originServerTs: number;
  /** For m.room.redaction; placed in content from v11, at the top level before. */
  redacts?: string;
}

const ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

function randomLocalpart(): string {
  return Array.from(randomBytes(18), (b) => ID_CHARS[b % ID_CHARS.length]).join("");
}

function toReferences(refs: EventReference[], roomVersion: RoomVersion): EventReference[] {
  // v1/v2 pair each id with its reference hash; a bare id gets an empty hash object.
  return refs.map((r) => (roomVersion.eventIdInPdu ? (typeof r === "string" ? [r, {}] : r) : referenceId(r)));
}

/**
 * Returns the unpadded base64 signature of the signable bytes. A deferring signer returns
 * a placeholder of the same length (see `signaturePlaceholder`) and fills it in later.
 */
export type EventSigner = (signable: Uint8Array) => string;

/** What a deferred signature stands in as until it is known: a signature's length. */
export const signaturePlaceholder = encodeBase64(new Uint8Array(64));

/**
 * Builds a new event: adds the content hash, signs the redacted form as `serverName`, and
 * derives the event id (v3+) or assigns `$<random>:<serverName>` inside the PDU (v1/v2).
 * `signer` replaces signing here with `signingKey` (the id does not depend on signatures).
 * `json`, when given, is the PDU as JSON text (not canonical), ready to store.
 * Throws TypeError for malformed input and CanonicalJsonError for non-canonical content.
 */
export function buildEvent(
  input: BuildEventInput,
  serverName: string,
  signingKey: SigningKey,
  randomEventIdLocalpart?: string,
  signer?: EventSigner,
): { eventId: string; pdu: PDU; json?: string } {
  const rv = input.roomVersion;
  const creating = input.type === "m.room.create";
  if (rv.roomIdIsCreateEventHash && creating) {
    if (input.roomId !== undefined) throw new TypeError("a v12+ create event has no room_id");
  } else if (typeof input.roomId !== "string") {
    throw new TypeError("room_id is required");
  }
  if (!Number.isSafeInteger(input.depth) || input.depth < 0) throw new TypeError("depth must be a non-negative integer");
  if (!Number.isSafeInteger(input.originServerTs)) throw new TypeError("origin_server_ts must be an integer");

  let authEvents = input.authEvents;
  if (!rv.createEventInAuthEvents && input.roomId !== undefined) {
    // The room id implies the create event; listing it would break auth rule 3.2.
    const createId = createEventIdForRoom(input.roomId);
    authEvents = authEvents.filter((r) => referenceId(r) !== createId);
  }

  let content = input.content;
  if (input.redacts !== undefined && rv.redactsInContent) content = { ...content, redacts: input.redacts };

  const unhashed: Record<string, unknown> = {
    auth_events: toReferences(creating ? [] : authEvents, rv),
    prev_events: toReferences(input.prevEvents, rv),
    content,
    depth: input.depth,
    origin_server_ts: input.originServerTs,
    sender: input.sender,
    type: input.type,
    signatures: {},
  };
  if (input.roomId !== undefined) unhashed.room_id = input.roomId;
  if (input.stateKey !== undefined) unhashed.state_key = input.stateKey;
  if (input.redacts !== undefined && !rv.redactsInContent) unhashed.redacts = input.redacts;
  if (rv.eventIdInPdu) unhashed.event_id = `$${randomEventIdLocalpart ?? randomLocalpart()}:${serverName}`;

  const sign = (signed: Uint8Array) => (signer ? signer(signed) : encodeBase64(signEd25519(signingKey, signed)));
  const finish = (signed: Uint8Array, signature: string) => ({
    signatures: { [serverName]: { [signingKey.keyId]: signature } } as Signatures,
    eventId: rv.eventIdInPdu ? (unhashed.event_id as string) : eventIdFromReferenceHash(sha256(signed), rv),
  });

  const fast = buildInCanonicalOrder(unhashed, rv);
  if (fast) {
    const signed = UTF8.encode(fast.signable);
    const { signatures, eventId } = finish(signed, sign(signed));
    const pdu = { ...fast.hashed, signatures } as unknown as PDU;
    // The canonical text with the hashes and signatures appended: JSON for storage.
    const json = `${fast.unhashedJson.slice(0, -1)},"hashes":${JSON.stringify(fast.hashed.hashes)},"signatures":${JSON.stringify(signatures)}}`;
    return { eventId, pdu, json };
  }

  // Two encodings serve all four needs: the full event (strictly: new events never carry
  // floats or huge integers) for the content hash, and the redacted event without
  // signatures, which is both what gets signed and what the reference hash covers.
  const { signatures: _none, ...toHash } = unhashed;
  const hashed = { ...unhashed, hashes: { sha256: encodeBase64(sha256(canonicalJsonBytes(toHash))) } };
  const { signatures: _s, unsigned: _u, ...signable } = redactEvent(hashed, rv) as Record<string, unknown>;
  const signed = canonicalJsonBytes(signable);
  const { signatures, eventId } = finish(signed, sign(signed));
  return { eventId, pdu: { ...hashed, signatures } as unknown as PDU };
}

/** Every top-level key buildEvent may set, in canonical (code point) order. */
const PDU_KEYS_IN_ORDER = [
  "auth_events",
  "content",
  "depth",
  "event_id",
  "hashes",
  "origin_server_ts",
  "prev_events",
  "redacts",
  "room_id",
  "sender",
  "signatures",
  "state_key",
  "type",
];

/** `source`'s keys in canonical order, with `replace`'s values where it has the key (undefined drops it). */
function inKeyOrder(source: Record<string, unknown>, replace: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of PDU_KEYS_IN_ORDER) {
    const v = Object.hasOwn(replace, k) ? replace[k] : source[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * The content hash and the signable text of a new event with one copy of its content
 * put in canonical order and its top-level keys inserted in canonical order, so that
 * JSON.stringify writes canonical JSON directly (the general path sorts a copy of the
 * whole event twice, and the stored JSON is a third encoding). Undefined when the
 * content or an identifier needs the general encoder to decide.
 */
function buildInCanonicalOrder(
  unhashed: Record<string, unknown>,
  rv: RoomVersion,
): { unhashedJson: string; hashed: Record<string, unknown> & { hashes: { sha256: string } }; signable: string } | undefined {
  const content = canonicalOrderCopy(unhashed.content);
  const authEvents = canonicalOrderCopy(unhashed.auth_events);
  const prevEvents = canonicalOrderCopy(unhashed.prev_events);
  if (content === undefined || authEvents === undefined || prevEvents === undefined) return undefined;
  for (const k of ["event_id", "redacts", "room_id", "sender", "state_key", "type"]) {
    const v = unhashed[k];
    if (v !== undefined && (typeof v !== "string" || !v.isWellFormed())) return undefined;
  }
  const toHash = inKeyOrder(unhashed, { auth_events: authEvents, content, prev_events: prevEvents, signatures: undefined });
  const unhashedJson = JSON.stringify(toHash);
  const hashes = { sha256: encodeBase64(sha256(UTF8.encode(unhashedJson))) };
  const hashed = inKeyOrder(toHash, { hashes });
  const redacted = redactEvent(hashed, rv) as Record<string, unknown>;
  const redactedContent = canonicalOrderCopy(redacted.content);
  const signable = inKeyOrder(redacted, { content: redactedContent });
  // Anything the redaction kept that the key list does not know (none today) goes the general way.
  if (redactedContent === undefined || Object.keys(signable).length !== Object.keys(redacted).length) return undefined;
  return { unhashedJson, hashed: hashed as Record<string, unknown> & { hashes: { sha256: string } }, signable: JSON.stringify(signable) };
}

export interface ClientEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  unsigned?: Record<string, unknown>;
  redacts?: string;
}

/**
 * The client-format event. `roomId` is needed for v12+ create events, which carry none.
 * The PDU's own `unsigned` is federation data and is not passed through; the caller
 * supplies the client `unsigned` (age, transaction_id, prev_content...).
 * Redactions get `redacts` both at the top level and in content, as the spec asks for
 * compatibility with old and new clients.
 */
export function clientEventFromPdu(
  pdu: PDU,
  eventId: string,
  opts: { roomVersion: RoomVersion; roomId?: string; unsigned?: Record<string, unknown> },
): ClientEvent {
  const roomId = opts.roomId ?? pdu.room_id;
  if (typeof roomId !== "string") throw new TypeError("room id is unknown for this event");
  let content = pdu.content ?? {};
  const event: ClientEvent = {
    event_id: eventId,
    room_id: roomId,
    sender: pdu.sender,
    type: pdu.type,
    content,
    origin_server_ts: pdu.origin_server_ts,
  };
  if (typeof pdu.state_key === "string") event.state_key = pdu.state_key;
  if (pdu.type === "m.room.redaction") {
    const redacts = redactsOf(pdu, opts.roomVersion);
    if (redacts !== undefined) {
      event.redacts = redacts;
      if (content.redacts !== redacts) content = { ...content, redacts };
      event.content = content;
    }
  }
  if (opts.unsigned !== undefined) event.unsigned = opts.unsigned;
  return event;
}
