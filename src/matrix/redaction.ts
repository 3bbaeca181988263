// The redaction algorithm of each room version (spec fragments v1/v6/v8/v9/v11-redactions).
// Used both to redact events for clients and to strip events before signing and hashing.
import type { RoomVersion } from "./room-versions.ts";

const TOP_LEVEL_KEYS_V1 = [
  "event_id",
  "type",
  "room_id",
  "sender",
  "state_key",
  "content",
  "hashes",
  "signatures",
  "depth",
  "prev_events",
  "prev_state",
  "auth_events",
  "origin",
  "origin_server_ts",
  "membership",
] as const;

// v11 (MSC2176) stops protecting origin, membership and prev_state.
const DROPPED_IN_V11 = new Set(["prev_state", "origin", "membership"]);

const POWER_LEVEL_KEYS = ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"];

function keptContentKeys(type: string, rv: RoomVersion): readonly string[] | "all" {
  switch (type) {
    case "m.room.member":
      return rv.restrictedJoinRuleFix ? ["membership", "join_authorised_via_users_server"] : ["membership"];
    case "m.room.create":
      return rv.updatedRedactionRules ? "all" : ["creator"];
    case "m.room.join_rules":
      return rv.restrictedJoinRule ? ["join_rule", "allow"] : ["join_rule"];
    case "m.room.power_levels":
      return rv.updatedRedactionRules ? [...POWER_LEVEL_KEYS, "invite"] : POWER_LEVEL_KEYS;
    case "m.room.aliases":
      return rv.specialCaseAliasesAuth ? ["aliases"] : [];
    case "m.room.history_visibility":
      return ["history_visibility"];
    case "m.room.redaction":
      return rv.updatedRedactionRules ? ["redacts"] : [];
    default:
      return [];
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function redactContent(type: string, content: unknown, rv: RoomVersion): Record<string, unknown> {
  if (!isRecord(content)) return {};
  const kept = keptContentKeys(type, rv);
  if (kept === "all") return { ...content };
  const out: Record<string, unknown> = {};
  for (const key of kept) {
    if (Object.hasOwn(content, key)) out[key] = content[key];
  }
  // v11: member events keep third_party_invite, but only its `signed` part.
  if (type === "m.room.member" && rv.updatedRedactionRules && isRecord(content.third_party_invite)) {
    const tpi = content.third_party_invite;
    out.third_party_invite = Object.hasOwn(tpi, "signed") ? { signed: tpi.signed } : {};
  }
  return out;
}

/**
 * Returns a redacted copy of `event` (federation or client format) per the room version.
 * `unsigned` is dropped like every unprotected key; a server serving the redacted event
 * to clients adds its own `unsigned` (e.g. `redacted_because`) afterwards.
 */
export function redactEvent<T extends object>(event: T, roomVersion: RoomVersion): T {
  const source = event as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_KEYS_V1) {
    if (roomVersion.updatedRedactionRules && DROPPED_IN_V11.has(key)) continue;
    if (Object.hasOwn(source, key)) out[key] = source[key];
  }
  out.content = redactContent(String(source.type), source.content, roomVersion);
  return out as T;
}
