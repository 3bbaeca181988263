import { MatrixError } from "../http/errors.ts";
import { parseActions } from "./actions.ts";
import { defaultPushRules, isDefaultRuleId } from "./default-rules.ts";
import {
  isPushRuleKind,
  type GlobalRuleset,
  type PushAction,
  type PushCondition,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from "./types.ts";

/**
 * A user-defined rule as a store keeps it. Within one kind, a higher
 * `priority` is more important; the server-default rules are not stored.
 */
export interface StoredPushRule {
  kind: PushRuleKind;
  ruleId: string;
  priority: number;
  /** override and underride rules only. */
  conditions?: PushCondition[];
  /** content rules only. */
  pattern?: string;
  actions: PushAction[];
  enabled: boolean;
}

/** A user's change to a server-default rule: only `enabled` and `actions` can change. */
export interface DefaultRuleOverride {
  kind: PushRuleKind;
  ruleId: string;
  enabled?: boolean;
  actions?: PushAction[];
}

/** A rule as PUT /pushrules/global/{kind}/{ruleId} defines it, before it has a place. */
export interface NewPushRule {
  kind: PushRuleKind;
  ruleId: string;
  conditions?: PushCondition[];
  pattern?: string;
  actions: PushAction[];
}

const invalid = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);
const notFound = (msg = "The push rule was not found.") => new MatrixError(404, "M_NOT_FOUND", msg);

function byPriority(a: StoredPushRule, b: StoredPushRule): number {
  return b.priority - a.priority || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

function toClientRule(rule: StoredPushRule): PushRule {
  const out: PushRule = { rule_id: rule.ruleId, default: false, enabled: rule.enabled, actions: rule.actions };
  if (rule.kind === "override" || rule.kind === "underride") out.conditions = rule.conditions ?? [];
  if (rule.kind === "content" && rule.pattern !== undefined) out.pattern = rule.pattern;
  return out;
}

/**
 * The ruleset a user sees (GET /pushrules/, `m.push_rules`): user rules before
 * the server-default rules of the same kind, except `.m.rule.master`, which
 * always comes first.
 */
export function buildRuleset(
  userId: string,
  stored: readonly StoredPushRule[],
  overrides: readonly DefaultRuleOverride[],
): PushRuleset {
  const defaults = defaultPushRules(userId).global;
  for (const o of overrides) {
    const rule = defaults[o.kind].find((r) => r.rule_id === o.ruleId);
    if (!rule) continue; // a default that no longer exists
    if (o.enabled !== undefined) rule.enabled = o.enabled;
    if (o.actions !== undefined) rule.actions = o.actions;
  }
  const user = (kind: PushRuleKind) => stored.filter((r) => r.kind === kind).sort(byPriority).map(toClientRule);
  const [master, ...otherOverrides] = defaults.override;
  const global: GlobalRuleset = {
    override: [master, ...user("override"), ...otherOverrides],
    content: [...user("content"), ...defaults.content],
    room: user("room"),
    sender: user("sender"),
    underride: [...user("underride"), ...defaults.underride],
  };
  return { global };
}

/** Checks a kind from a URL path; unknown kinds are a client error. */
export function parseRuleKind(kind: string): PushRuleKind {
  if (!isPushRuleKind(kind)) throw invalid(`Unknown push rule kind: ${kind}`);
  return kind;
}

function checkNewRuleId(ruleId: string): void {
  if (ruleId === "") throw invalid("rule_id must not be empty");
  if (ruleId.includes("/") || ruleId.includes("\\")) throw invalid("rule_id may not contain slashes");
  // Ids starting with "." are reserved for server-default rules.
  if (ruleId.startsWith(".")) throw invalid("cannot add new rule_ids that start with '.'");
}

/**
 * Validates the body of PUT /pushrules/global/{kind}/{ruleId}. Conditions
 * belong to override/underride rules and a pattern to content rules; either on
 * another kind is rejected rather than silently dropped.
 */
export function parsePushRuleBody(kind: string, ruleId: string, body: unknown): NewPushRule {
  const k = parseRuleKind(kind);
  checkNewRuleId(ruleId);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new MatrixError(400, "M_BAD_JSON", "Push rule body must be a JSON object");
  }
  const obj = body as Record<string, unknown>;
  if (!("actions" in obj)) throw new MatrixError(400, "M_MISSING_PARAM", "Missing parameter: actions");
  const rule: NewPushRule = { kind: k, ruleId, actions: parseActions(obj.actions) };

  const takesConditions = k === "override" || k === "underride";
  if ("conditions" in obj && !takesConditions) throw invalid(`'conditions' is not allowed on ${k} rules`);
  if ("pattern" in obj && k !== "content") throw invalid(`'pattern' is only allowed on content rules`);

  if (takesConditions) rule.conditions = parseConditions(obj.conditions ?? []);
  if (k === "content") {
    if (!("pattern" in obj)) throw new MatrixError(400, "M_MISSING_PARAM", "Missing parameter: pattern");
    if (typeof obj.pattern !== "string") throw invalid("'pattern' must be a string");
    rule.pattern = obj.pattern;
  }
  return rule;
}

function parseConditions(raw: unknown): PushCondition[] {
  if (!Array.isArray(raw)) throw invalid("'conditions' must be an array");
  for (const c of raw) {
    if (typeof c !== "object" || c === null || Array.isArray(c) || typeof c.kind !== "string") {
      throw invalid("each condition must be an object with a string 'kind'");
    }
  }
  return raw as PushCondition[];
}

function anchorError(kind: PushRuleKind, anchor: string): MatrixError {
  // The spec's documented answer is 400 M_UNKNOWN, which Synapse also gives.
  const why = isDefaultRuleId(kind, anchor) ? " (cannot place a rule relative to a server-default rule)" : "";
  return new MatrixError(400, "M_UNKNOWN", `before/after rule not found: ${anchor}${why}`);
}

/**
 * Adds or replaces a user rule and returns every stored rule, with the
 * priorities of `newRule.kind` renumbered (the other kinds are untouched).
 * A new rule without `before`/`after` becomes the most important of its kind;
 * an updated one keeps its place and its enabled state. When both are given,
 * `before` wins, as the spec says.
 */
export function insertRule(
  existing: readonly StoredPushRule[],
  newRule: NewPushRule,
  position: { before?: string; after?: string } = {},
): StoredPushRule[] {
  checkNewRuleId(newRule.ruleId);
  const { kind, ruleId } = newRule;
  const sameKind = existing.filter((r) => r.kind === kind).sort(byPriority);
  const oldIndex = sameKind.findIndex((r) => r.ruleId === ruleId);
  const old = oldIndex >= 0 ? sameKind[oldIndex] : undefined;
  const others = sameKind.filter((r) => r !== old);

  const before = position.before || undefined;
  const after = before ? undefined : position.after || undefined;
  const anchor = before ?? after;
  let index: number;
  if (anchor === undefined) {
    index = old ? oldIndex : 0;
  } else if (anchor === ruleId) {
    if (!old) throw anchorError(kind, anchor);
    index = oldIndex;
  } else {
    const at = others.findIndex((r) => r.ruleId === anchor);
    if (at < 0) throw anchorError(kind, anchor);
    index = before ? at : at + 1;
  }

  const rule: StoredPushRule = { kind, ruleId, priority: 0, actions: newRule.actions, enabled: old?.enabled ?? true };
  if (kind === "override" || kind === "underride") rule.conditions = newRule.conditions ?? [];
  if (kind === "content") rule.pattern = newRule.pattern;
  others.splice(index, 0, rule);
  const renumbered = others.map((r, i) => ({ ...r, priority: others.length - 1 - i }));
  return [...existing.filter((r) => r.kind !== kind), ...renumbered];
}

/** Removes a user rule; server-default rules cannot be deleted. */
export function deleteRule(existing: readonly StoredPushRule[], kind: PushRuleKind, ruleId: string): StoredPushRule[] {
  if (isDefaultRuleId(kind, ruleId)) throw notFound("Cannot delete a server-default push rule");
  if (!existing.some((r) => r.kind === kind && r.ruleId === ruleId)) throw notFound();
  return existing.filter((r) => !(r.kind === kind && r.ruleId === ruleId));
}

/** The one row that PUT .../enabled or .../actions changes. */
export type PushRuleChange =
  | { target: "user"; rule: StoredPushRule }
  | { target: "default"; override: DefaultRuleOverride };

function changeRule(
  existing: readonly StoredPushRule[],
  overrides: readonly DefaultRuleOverride[],
  kind: PushRuleKind,
  ruleId: string,
  patch: { enabled?: boolean; actions?: PushAction[] },
): PushRuleChange {
  if (isDefaultRuleId(kind, ruleId)) {
    const current = overrides.find((o) => o.kind === kind && o.ruleId === ruleId);
    return { target: "default", override: { ...current, kind, ruleId, ...patch } };
  }
  const rule = existing.find((r) => r.kind === kind && r.ruleId === ruleId);
  if (!rule) throw notFound();
  return { target: "user", rule: { ...rule, ...patch } };
}

/** PUT /pushrules/global/{kind}/{ruleId}/enabled, for user and default rules alike. */
export function setRuleEnabled(
  existing: readonly StoredPushRule[],
  overrides: readonly DefaultRuleOverride[],
  kind: PushRuleKind,
  ruleId: string,
  enabled: unknown,
): PushRuleChange {
  if (typeof enabled !== "boolean") throw invalid("'enabled' must be a boolean");
  return changeRule(existing, overrides, kind, ruleId, { enabled });
}

/** PUT /pushrules/global/{kind}/{ruleId}/actions; default rules' actions may be replaced too. */
export function setRuleActions(
  existing: readonly StoredPushRule[],
  overrides: readonly DefaultRuleOverride[],
  kind: PushRuleKind,
  ruleId: string,
  actions: unknown,
): PushRuleChange {
  return changeRule(existing, overrides, kind, ruleId, { actions: parseActions(actions) });
}

/** The rule GET /pushrules/global/{kind}/{ruleId} returns, or 404 M_NOT_FOUND. */
export function findRule(ruleset: PushRuleset, kind: PushRuleKind, ruleId: string): PushRule {
  const rule = ruleset.global[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw notFound();
  return rule;
}
