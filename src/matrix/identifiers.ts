// Identifier grammar from the spec appendix ("Identifier Grammar"). Everything here
// returns booleans or null and never throws: it runs on untrusted input at the edge.
import type { RoomVersion } from "./room-versions.ts";

/** Room, user and alias ids, event ids, types and state keys are limited to 255 UTF-8 bytes. */
export const MAX_IDENTIFIER_BYTES = 255;

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function withinLimit(s: string): boolean {
  // Cheap pre-check: UTF-8 never uses fewer bytes than UTF-16 code units.
  return s.length <= MAX_IDENTIFIER_BYTES && utf8Length(s) <= MAX_IDENTIFIER_BYTES;
}

const DNS_NAME = /^[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_BODY = /^[0-9A-Fa-f:.]{2,45}$/;
const PORT = /^\d{1,5}$/;

/** `hostname [":" port]` with hostname an IPv4 literal, `[IPv6]` or a DNS name. */
export function isValidServerName(s: string): boolean {
  if (typeof s !== "string" || s.length === 0 || s.length > 255 + 6) return false;
  let host = s;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return false;
    const rest = s.slice(close + 1);
    if (rest !== "" && !(rest.startsWith(":") && PORT.test(rest.slice(1)))) return false;
    const body = s.slice(1, close);
    return IPV6_BODY.test(body) && body.includes(":");
  }
  const colon = s.lastIndexOf(":");
  if (colon >= 0) {
    if (!PORT.test(s.slice(colon + 1))) return false;
    host = s.slice(0, colon);
  }
  if (host.length === 0 || host.length > 255) return false;
  const v4 = IPV4.exec(host);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  return DNS_NAME.test(host);
}

const STRICT_LOCALPART = /^[a-z0-9._=\-/+]+$/;

/**
 * New user ids use `a-z 0-9 . _ = - / +`. Historical ids (which servers must accept over
 * federation) allow any non-surrogate code point except `:` and NUL, even the empty string.
 */
export function isValidLocalpart(s: string, opts: { historical?: boolean } = {}): boolean {
  if (typeof s !== "string") return false;
  if (!opts.historical) return STRICT_LOCALPART.test(s);
  return !s.includes(":") && !s.includes("\u0000") && s.isWellFormed();
}

/** Splits `&localpart:domain`; the localpart cannot contain `:` so the first `:` separates. */
function splitSigilled(s: string, sigil: string): { localpart: string; serverName: string } | null {
  if (typeof s !== "string" || !s.startsWith(sigil)) return null;
  const colon = s.indexOf(":");
  if (colon < 0) return null;
  return { localpart: s.slice(1, colon), serverName: s.slice(colon + 1) };
}

/**
 * Parses a user id, accepting the historical localpart grammar (as servers must for
 * events); use isValidUserId for the strict check new ids must pass.
 */
export function parseUserId(s: string): { localpart: string; serverName: string } | null {
  if (typeof s !== "string" || !withinLimit(s)) return null;
  const parts = splitSigilled(s, "@");
  if (!parts) return null;
  if (!isValidLocalpart(parts.localpart, { historical: true })) return null;
  if (!isValidServerName(parts.serverName)) return null;
  return parts;
}

export function isValidUserId(s: string, opts: { historical?: boolean } = {}): boolean {
  const parts = parseUserId(s);
  return parts !== null && isValidLocalpart(parts.localpart, opts);
}

/** The server name part of a `&localpart:domain` identifier, or null. */
export function serverNameOf(id: string): string | null {
  if (typeof id !== "string") return null;
  const colon = id.indexOf(":");
  return colon < 0 ? null : id.slice(colon + 1);
}

const URL_SAFE_HASH = /^[A-Za-z0-9_-]{43}$/;
const STD_HASH = /^[A-Za-z0-9+/]{43}$/;

/**
 * Room ids are `!opaque:domain` up to v11 and `!<url-safe sha256>` from v12. Without a
 * room version both forms are accepted.
 */
export function isValidRoomId(s: string, roomVersion?: RoomVersion): boolean {
  if (typeof s !== "string" || !s.startsWith("!") || !withinLimit(s)) return false;
  const hashForm = URL_SAFE_HASH.test(s.slice(1));
  if (roomVersion?.roomIdIsCreateEventHash) return hashForm;
  const parts = splitSigilled(s, "!");
  const domainForm =
    parts !== null &&
    parts.localpart.length > 0 &&
    isValidLocalpart(parts.localpart, { historical: true }) &&
    isValidServerName(parts.serverName);
  return roomVersion ? domainForm : domainForm || hashForm;
}

export function isValidRoomAlias(s: string): boolean {
  if (typeof s !== "string" || !withinLimit(s)) return false;
  const parts = splitSigilled(s, "#");
  return (
    parts !== null &&
    parts.localpart.length > 0 &&
    isValidLocalpart(parts.localpart, { historical: true }) &&
    isValidServerName(parts.serverName)
  );
}

/**
 * Event ids: `$opaque:domain` in v1/v2, `$` + base64 sha256 in v3, `$` + URL-safe base64
 * in v4+. Without a room version any of the three forms is accepted.
 */
export function isValidEventId(s: string, roomVersion?: RoomVersion): boolean {
  if (typeof s !== "string" || !s.startsWith("$") || !withinLimit(s)) return false;
  const body = s.slice(1);
  const serverChosen = (): boolean => {
    const parts = splitSigilled(s, "$");
    return (
      parts !== null &&
      parts.localpart.length > 0 &&
      isValidLocalpart(parts.localpart, { historical: true }) &&
      isValidServerName(parts.serverName)
    );
  };
  switch (roomVersion?.eventIdFormat) {
    case "server-chosen":
      return serverChosen();
    case "base64-hash":
      return STD_HASH.test(body);
    case "url-safe-hash":
      return URL_SAFE_HASH.test(body);
    default:
      return STD_HASH.test(body) || URL_SAFE_HASH.test(body) || serverChosen();
  }
}

/** Event types are non-empty and at most 255 bytes. */
export function isValidEventType(s: string): boolean {
  return typeof s === "string" && s.length > 0 && withinLimit(s);
}

/** State keys may be empty but are at most 255 bytes. */
export function isValidStateKey(s: string): boolean {
  return typeof s === "string" && withinLimit(s);
}
