// Building a new local event on a room head: auth events from the auth-events selection,
// prev events = the head's extremities, the size limit, the authorisation rules against
// current state, then the head advances. Synchronous on purpose: between reading the
// head and advancing it nothing else may run, so concurrent sends chain correctly.
import { AuthError, authorizeEvent, authStateKeysFor, selectAuthEvents } from "../matrix/auth-rules.ts";
import { CanonicalJsonError, canonicalJson } from "../matrix/canonical-json.ts";
import { buildEvent, eventSizeProblem, MAX_PDU_BYTES, stateKey, type EventSigner, type PDU, type StateMap, type StoredEvent } from "../matrix/events.ts";
import type { SigningKey } from "../matrix/signing.ts";
import { MatrixError, badJson, forbidden, tooLarge } from "../http/errors.ts";
import type { EventToPersist } from "../storage/stores/event-persist.ts";
import { headStateEntry, type RoomHead } from "./room-head.ts";

export interface NewEvent {
  type: string;
  stateKey?: string;
  content: Record<string, unknown>;
  sender: string;
  /** m.room.redaction: the target. */
  redacts?: string;
  txn?: { scope: string; txnId: string };
}

export interface BuildContext {
  serverName: string;
  signingKey: SigningKey;
  now: number;
  /** Defers the signatures (bulk builds sign on a worker: see chain-signatures.ts). */
  signer?: EventSigner;
}

export interface BuiltEvent {
  head: RoomHead;
  eventId: string;
  pdu: PDU;
  row: EventToPersist;
  /** The head's extremities once this event is in. */
  extremitiesAfter: string[];
}

/** Member state keys whose events must be loaded into the head before building `e`. */
export function membersNeeded(e: NewEvent): string[] {
  const users = [e.sender];
  if (e.type === "m.room.member" && e.stateKey !== undefined) users.push(e.stateKey);
  const authoriser = e.content?.join_authorised_via_users_server;
  if (typeof authoriser === "string") users.push(authoriser);
  return users;
}

/** The auth-relevant current state for `e` as a StateMap, from the head. */
export function authStateFor(head: RoomHead, e: NewEvent): StateMap {
  const state: StateMap = new Map([[stateKey("m.room.create", ""), head.create]]);
  for (const k of authStateKeysFor(e.type, e.stateKey, e.sender, e.content, head.roomVersion)) {
    const sep = k.indexOf("\u0000");
    const entry = headStateEntry(head, k.slice(0, sep), k.slice(sep + 1));
    if (entry === undefined) throw new Error(`member ${k.slice(sep + 1)} was not loaded into the head of ${head.roomId}`);
    if (entry) state.set(k, entry);
  }
  return state;
}

/** The current state event a new state event would replace, if any. */
export function replacedState(head: RoomHead, e: NewEvent): StoredEvent | null {
  if (e.stateKey === undefined) return null;
  return headStateEntry(head, e.type, e.stateKey) ?? null;
}

/** Synapse's dedupe: the same sender setting the same content again changes nothing. */
export function duplicateOf(head: RoomHead, e: NewEvent): StoredEvent | null {
  const previous = replacedState(head, e);
  if (!previous || previous.pdu.sender !== e.sender) return null;
  try {
    return canonicalJson(previous.pdu.content ?? {}) === canonicalJson(e.content) ? previous : null;
  } catch {
    return null;
  }
}

function relationOf(content: Record<string, unknown>): { relType: string | null; relatesTo: string | null } {
  const rel = content["m.relates_to"];
  if (typeof rel !== "object" || rel === null || Array.isArray(rel)) return { relType: null, relatesTo: null };
  const { rel_type, event_id } = rel as Record<string, unknown>;
  const relType = stringOrNull(rel_type);
  const relatesTo = stringOrNull(event_id);
  if (relType === null || relatesTo === null) return { relType: null, relatesTo: null };
  return { relType, relatesTo };
}

/**
 * A content string for a column of its own (membership, profile, relation), or null. The
 * content keeps it either way; a string with NUL is left out, as PostgreSQL's text
 * cannot hold one (the whole write would fail, and with it every event in the batch).
 */
function stringOrNull(v: unknown): string | null {
  return typeof v === "string" && !v.includes("\u0000") ? v : null;
}

/** Builds, authorises and signs `e` on the head and advances the head. Throws MatrixError. */
export function buildOnHead(head: RoomHead, e: NewEvent, ctx: BuildContext): BuiltEvent {
  const rv = head.roomVersion;
  const authState = authStateFor(head, e);
  let built: { eventId: string; pdu: PDU; json?: string };
  try {
    built = buildEvent(
      {
        roomVersion: rv,
        roomId: head.roomId,
        sender: e.sender,
        type: e.type,
        stateKey: e.stateKey,
        content: e.content,
        prevEvents: head.extremities.slice(-10),
        authEvents: selectAuthEvents(e.type, e.stateKey, e.sender, e.content, authState, rv),
        depth: head.depth + 1,
        originServerTs: ctx.now,
        redacts: e.redacts,
      },
      ctx.serverName,
      ctx.signingKey,
      undefined,
      ctx.signer,
    );
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw badJson(`Event content is not valid canonical JSON: ${err.message}`);
    if (err instanceof TypeError) throw new MatrixError(400, "M_BAD_JSON", err.message);
    throw err;
  }
  const pduJson = built.json ?? JSON.stringify(built.pdu);
  // The exact (canonical JSON) size check costs a full encoding; plain JSON has the same
  // length, so only events near the limit, or with long identifiers, need it.
  const longIds = [e.type, e.stateKey, e.sender, head.roomId, built.eventId].some((v) => v !== undefined && v.length > 85);
  // A UTF-16 unit takes at most three UTF-8 bytes, so most events need no byte count.
  if (longIds || (pduJson.length > (MAX_PDU_BYTES - 4096) / 3 && Buffer.byteLength(pduJson) > MAX_PDU_BYTES - 4096)) {
    const sizeProblem = eventSizeProblem(built.pdu, built.eventId);
    if (sizeProblem) throw tooLarge(sizeProblem);
  }
  try {
    authorizeEvent(built.pdu, authState, rv, { sizeChecked: true });
  } catch (err) {
    if (err instanceof AuthError) throw forbidden(err.reason);
    throw err;
  }
  return applyBuiltEvent(head, e, built, pduJson);
}

/** Advances the head past an event built for it (also used for the create event of a new room). */
export function applyBuiltEvent(head: RoomHead, e: NewEvent, built: { eventId: string; pdu: PDU }, pduJson = JSON.stringify(built.pdu)): BuiltEvent {
  const previous = replacedState(head, e);
  // A new room's head already holds its create event: it replaces nothing.
  const unsigned = previous && previous.eventId !== built.eventId
    ? { prev_content: previous.pdu.content ?? {}, prev_sender: previous.pdu.sender, replaces_state: previous.eventId }
    : null;
  const stored: StoredEvent = { eventId: built.eventId, pdu: built.pdu };
  if (e.stateKey !== undefined) {
    if (e.type === "m.room.member") head.members.set(e.stateKey, stored);
    else head.state.set(stateKey(e.type, e.stateKey), stored);
  }
  head.extremities = [built.eventId];
  head.depth = built.pdu.depth;
  head.pending++;
  const { relType, relatesTo } = relationOf(e.content);
  const isMember = e.type === "m.room.member" && e.stateKey !== undefined;
  return {
    head,
    eventId: built.eventId,
    pdu: built.pdu,
    extremitiesAfter: [built.eventId],
    row: {
      eventId: built.eventId,
      roomId: head.roomId,
      depth: built.pdu.depth,
      type: e.type,
      stateKey: e.stateKey ?? null,
      sender: e.sender,
      originServerTs: built.pdu.origin_server_ts,
      membership: isMember ? stringOrNull(e.content.membership) : null,
      pduJson,
      unsigned,
      relType,
      relatesTo,
      containsUrl: typeof e.content.url === "string",
      redacts: e.redacts ?? null,
      displayname: isMember ? stringOrNull(e.content.displayname) : null,
      avatarUrl: isMember ? stringOrNull(e.content.avatar_url) : null,
      banContent: isMember && e.content.membership === "ban" ? JSON.stringify(e.content) : null,
      txn: e.txn,
    },
  };
}

/** Undo for a failed multi-event build: restores what applyBuiltEvent changed. */
export interface HeadSnapshot {
  extremities: string[];
  depth: number;
  pending: number;
  state: Map<string, StoredEvent | undefined>;
  members: Map<string, StoredEvent | null | undefined>;
}

export function snapshotHead(head: RoomHead, events: NewEvent[]): HeadSnapshot {
  const snap: HeadSnapshot = { extremities: head.extremities, depth: head.depth, pending: head.pending, state: new Map(), members: new Map() };
  for (const e of events) {
    if (e.stateKey === undefined) continue;
    if (e.type === "m.room.member") {
      if (!snap.members.has(e.stateKey)) snap.members.set(e.stateKey, head.members.get(e.stateKey));
    } else {
      const k = stateKey(e.type, e.stateKey);
      if (!snap.state.has(k)) snap.state.set(k, head.state.get(k));
    }
  }
  return snap;
}

export function restoreHead(head: RoomHead, snap: HeadSnapshot): void {
  head.extremities = snap.extremities;
  head.depth = snap.depth;
  head.pending = snap.pending;
  for (const [k, v] of snap.state) v === undefined ? head.state.delete(k) : head.state.set(k, v);
  for (const [k, v] of snap.members) v === undefined ? head.members.delete(k) : head.members.set(k, v);
}
