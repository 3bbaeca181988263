/** The JSON shapes of the push rules module (spec definitions/push_*.yaml). */

export type PushRuleKind = "override" | "content" | "room" | "sender" | "underride";

/** The kinds in the order they are evaluated. */
export const PUSH_RULE_KINDS: readonly PushRuleKind[] = Object.freeze([
  "override",
  "content",
  "room",
  "sender",
  "underride",
]);

export function isPushRuleKind(kind: string): kind is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(kind);
}

/** A tweak action, e.g. `{set_tweak: "sound", value: "default"}`. */
export interface SetTweakAction {
  set_tweak: string;
  value?: unknown;
  [extra: string]: unknown;
}

/** `"notify"`, the legacy `"dont_notify"`/`"coalesce"`, or a tweak. */
export type PushAction = string | SetTweakAction;

/** A condition as stored and served; unknown kinds are kept but never match. */
export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: string | number | boolean | null;
  [extra: string]: unknown;
}

/** One rule as GET /pushrules/ returns it. */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** Only on override and underride rules. */
  conditions?: PushCondition[];
  /** Only on content rules. */
  pattern?: string;
}

/** The spec's "Ruleset": rules of each kind, most important first. */
export type GlobalRuleset = Record<PushRuleKind, PushRule[]>;

/** The body of GET /pushrules/ and the content of `m.push_rules` account data. */
export interface PushRuleset {
  global: GlobalRuleset;
}
