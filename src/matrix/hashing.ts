// Content hashes, reference hashes and hash-derived ids (server-server API "Signing Events",
// room versions' "Event IDs", v12 room ids).
import { decodeBase64, encodeBase64, encodeUrlSafeBase64 } from "./base64.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";
import { redactEvent } from "./redaction.ts";
import { ROOM_VERSIONS, type RoomVersion } from "./room-versions.ts";

export function sha256(bytes: Uint8Array): Uint8Array {
  return Bun.SHA256.hash(bytes) as Uint8Array;
}

// Numbers are encoded leniently: stored events of room versions 1-5 may hold floats or big
// integers and still need hashes. New events are checked strictly when they are built.
const LENIENT = { lenientNumbers: true } as const;

/** Unpadded base64 sha256 over the event without `unsigned`, `signatures` and `hashes`. */
export function computeContentHash(event: object): string {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event as Record<string, unknown>;
  return encodeBase64(sha256(canonicalJsonBytes(rest, LENIENT)));
}

/** A copy of `event` with `hashes.sha256` set to its content hash. */
export function addContentHash<T extends object>(event: T): T & { hashes: { sha256: string } } {
  const existing = (event as Record<string, unknown>).hashes;
  const hashes = typeof existing === "object" && existing !== null ? existing : {};
  return { ...event, hashes: { ...hashes, sha256: computeContentHash(event) } };
}

/** Whether `hashes.sha256` matches the event; a mismatch means the event must be redacted. */
export function verifyContentHash(event: object): boolean {
  const hashes = (event as Record<string, unknown>).hashes as Record<string, unknown> | undefined;
  const claimed = hashes?.sha256;
  if (typeof claimed !== "string") return false;
  try {
    return Buffer.from(decodeBase64(claimed)).equals(Buffer.from(decodeBase64(computeContentHash(event))));
  } catch {
    return false;
  }
}

/** sha256 over the canonical JSON of the redacted event minus `signatures`, `unsigned` (and legacy top-level `age_ts`). */
export function computeReferenceHash(event: object, roomVersion: RoomVersion): Uint8Array {
  const redacted = redactEvent(event, roomVersion) as Record<string, unknown>;
  const { signatures: _s, unsigned: _u, age_ts: _a, ...rest } = redacted;
  return sha256(canonicalJsonBytes(rest, LENIENT));
}

/** `$` + base64 (v3) or URL-safe base64 (v4+) of the reference hash. v1/v2 ids are not derived. */
export function computeEventId(event: object, roomVersion: RoomVersion): string {
  return eventIdFromReferenceHash(computeReferenceHash(event, roomVersion), roomVersion);
}

/** The event id (v3+) a reference hash stands for. */
export function eventIdFromReferenceHash(hash: Uint8Array, roomVersion: RoomVersion): string {
  switch (roomVersion.eventIdFormat) {
    case "base64-hash":
      return `$${encodeBase64(hash)}`;
    case "url-safe-hash":
      return `$${encodeUrlSafeBase64(hash)}`;
    case "server-chosen":
      throw new TypeError(`room version ${roomVersion.id} event ids are not derived from hashes`);
  }
}

/** The v12+ room id: the create event's id with `!` instead of `$`. */
export function computeRoomIdV12(createEvent: object, roomVersion: RoomVersion = ROOM_VERSIONS["12"]): string {
  if (!roomVersion.roomIdIsCreateEventHash) {
    throw new TypeError(`room version ${roomVersion.id} room ids are not derived from the create event`);
  }
  return `!${computeEventId(createEvent, roomVersion).slice(1)}`;
}
