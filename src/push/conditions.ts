import { compileGlob, compileLiteral, type StringMatcher } from "./glob.ts";
import { splitPropertyPath, valueAtPath } from "./property-path.ts";
import type { PushCondition } from "./types.ts";

/** Everything a condition may look at, for one event and one recipient. */
export interface ConditionInput {
  /** The event in client format. */
  event: Record<string, unknown>;
  roomMemberCount: number;
  userDisplayName?: string;
  senderPowerLevel: number;
  /** The `notifications` levels of the room's power levels, already parsed. */
  notificationLevels: Readonly<Record<string, number>>;
  /** Matches the recipient's display name; supplied by the compiled ruleset. */
  displayNameMatcher: (displayName: string) => StringMatcher;
  /** `value.toLowerCase()`, remembered across the recipients of one event (absent: not shared). */
  lowercase?: (value: string) => string;
}

export type ConditionPredicate = (input: ConditionInput) => boolean;

const never: ConditionPredicate = () => false;

type Simple = string | number | boolean | null;

/** The spec's non-compound canonical JSON values: strings, safe integers, booleans, null. */
function isSimple(value: unknown): value is Simple {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isSafeInteger(value))
  );
}

const MEMBER_COUNT = /^(==|<|>|<=|>=)?([0-9]+)$/;

function compileMemberCount(is: unknown): ConditionPredicate {
  const m = MEMBER_COUNT.exec(typeof is === "number" ? String(is) : typeof is === "string" ? is : "");
  if (!m) return never;
  const n = Number(m[2]);
  switch (m[1] ?? "==") {
    case "==":
      return (i) => i.roomMemberCount === n;
    case "<":
      return (i) => i.roomMemberCount < n;
    case ">":
      return (i) => i.roomMemberCount > n;
    case "<=":
      return (i) => i.roomMemberCount <= n;
    case ">=":
      return (i) => i.roomMemberCount >= n;
    default:
      return never;
  }
}

/** True when the path is exactly `content.body`, which matches by words, not whole value. */
function isBodyPath(path: readonly string[]): boolean {
  return path.length === 2 && path[0] === "content" && path[1] === "body";
}

/** An event_match on `key`, compiled once. Also how content rules match their pattern. */
export function compileEventMatch(key: string, pattern: string): ConditionPredicate {
  const path = splitPropertyPath(key);
  const matcher = compileGlob(pattern, isBodyPath(path) ? "word" : "whole");
  return (input) => {
    const value = valueAtPath(input.event, path);
    return typeof value === "string" && matcher(value, input.lowercase?.(value));
  };
}

/**
 * Compiles one condition into a predicate. Unknown kinds and malformed
 * parameters compile to a predicate that never matches, which disables the rule
 * as the spec requires.
 */
export function compileCondition(condition: PushCondition): ConditionPredicate {
  switch (condition.kind) {
    case "event_match": {
      const { key, pattern } = condition;
      if (typeof key !== "string" || typeof pattern !== "string") return never;
      return compileEventMatch(key, pattern);
    }
    case "event_property_is": {
      const { key, value } = condition;
      if (typeof key !== "string" || !isSimple(value)) return never;
      const path = splitPropertyPath(key);
      return (input) => valueAtPath(input.event, path) === value;
    }
    case "event_property_contains": {
      const { key, value } = condition;
      if (typeof key !== "string" || !isSimple(value)) return never;
      const path = splitPropertyPath(key);
      return (input) => {
        const array = valueAtPath(input.event, path);
        return Array.isArray(array) && array.includes(value);
      };
    }
    case "contains_display_name":
      return (input) => {
        const name = input.userDisplayName;
        // An empty display name would match every message.
        if (!name) return false;
        const body = valueAtPath(input.event, ["content", "body"]);
        return typeof body === "string" && input.displayNameMatcher(name)(body, input.lowercase?.(body));
      };
    case "room_member_count":
      return compileMemberCount(condition.is);
    case "sender_notification_permission": {
      const { key } = condition;
      if (typeof key !== "string") return never;
      return (input) => input.senderPowerLevel >= (input.notificationLevels[key] ?? 50);
    }
    default:
      return never;
  }
}

/** A display name matches as a literal word sequence: `*` in a name is not a wildcard. */
export function compileDisplayNameMatcher(displayName: string): StringMatcher {
  return compileLiteral(displayName, "word");
}
