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

/** The owner of a ruleset, for conditions that name them (see compileOwnCondition). */
export interface OwnerParams {
  user: string;
  localpart: string;
  /** Lower-cased, for the literal fast path (taken when the text has no glob wildcards). */
  userLower: string;
  localpartLower: string;
  userLiteral: boolean;
  localpartLiteral: boolean;
  /** Glob matchers of the owner's parameters, compiled when a literal check cannot decide. */
  matchers: Map<string, StringMatcher>;
}

export function ownerParams(user: string, localpart: string): OwnerParams {
  const literal = (t: string) => !t.includes("*") && !t.includes("?");
  return {
    user,
    localpart,
    userLower: user.toLowerCase(),
    localpartLower: localpart.toLowerCase(),
    userLiteral: literal(user),
    localpartLiteral: literal(localpart),
    matchers: new Map(),
  };
}

/** Stands for the owner's user id or localpart in a condition shared by several owners. */
export const OWNER_USER = "\u0000user";
export const OWNER_LOCALPART = "\u0000localpart";

export type OwnConditionPredicate = (input: ConditionInput, owner: OwnerParams | undefined) => boolean;

/** Whether this condition's kind can name its owner (in `pattern` or `value`). */
export function mayNameOwner(condition: PushCondition): boolean {
  const k = condition.kind;
  return k === "event_match" || k === "event_property_is" || k === "event_property_contains";
}

/**
 * compileCondition for a condition whose `pattern` or `value` may be OWNER_USER or
 * OWNER_LOCALPART: one predicate serves every owner, who is passed in. Most events name
 * nobody, so it decides from the lower-cased value before touching any matcher.
 */
export function compileOwnCondition(condition: PushCondition): OwnConditionPredicate {
  const param = (v: unknown) =>
    v === OWNER_USER ? (o: OwnerParams) => o.user : v === OWNER_LOCALPART ? (o: OwnerParams) => o.localpart : () => v;
  switch (condition.kind) {
    case "event_match": {
      const { key, pattern } = condition;
      if (typeof key !== "string" || typeof pattern !== "string") return never;
      if (pattern !== OWNER_USER && pattern !== OWNER_LOCALPART) {
        const p = compileEventMatch(key, pattern);
        return (input) => p(input);
      }
      const path = splitPropertyPath(key);
      const mode = isBodyPath(path) ? "word" : "whole";
      const ofUser = pattern === OWNER_USER;
      return (input, owner) => {
        if (!owner) return false;
        const value = valueAtPath(input.event, path);
        if (typeof value !== "string") return false;
        const lowered = input.lowercase ? input.lowercase(value) : value.toLowerCase();
        if (ofUser ? owner.userLiteral : owner.localpartLiteral) {
          // What compileLiteral decides without its RegExp.
          const lower = ofUser ? owner.userLower : owner.localpartLower;
          if (mode === "whole") return lowered === lower;
          if (!lowered.includes(lower)) return false;
        }
        const text = ofUser ? owner.user : owner.localpart;
        const k = `${mode}\u0000${text}`;
        let matcher = owner.matchers.get(k);
        if (!matcher) owner.matchers.set(k, (matcher = compileGlob(text, mode)));
        return matcher(value, lowered);
      };
    }
    case "event_property_is":
    case "event_property_contains": {
      const { key, value } = condition;
      if (typeof key !== "string" || !isSimple(value)) return never;
      const path = splitPropertyPath(key);
      const named = value === OWNER_USER || value === OWNER_LOCALPART;
      const of = param(value);
      if (condition.kind === "event_property_is") {
        return (input, owner) => (owner !== undefined || !named) && valueAtPath(input.event, path) === of(owner!);
      }
      return (input, owner) => {
        if (owner === undefined && named) return false;
        const array = valueAtPath(input.event, path);
        return Array.isArray(array) && array.includes(of(owner!));
      };
    }
    default: {
      const p = compileCondition(condition);
      return (input) => p(input);
    }
  }
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
        if (typeof body !== "string") return false;
        const lowered = input.lowercase?.(body);
        // The matcher's own first test, without fetching the matcher (most bodies name nobody).
        if (lowered !== undefined && !lowered.includes(name.toLowerCase())) return false;
        return input.displayNameMatcher(name)(body, lowered);
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
