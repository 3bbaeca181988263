// Sharing compiled push rules between users. A room's members mostly have the default
// rules, which differ only where they name the user (invite_for_me's state_key,
// is_user_mention, contains_user_name) and in the display name. A template holds what
// users with the same rules share: the order of rules, their outcomes and the conditions
// that do not name the user, and the conditions that do, compiled once with the user as a
// parameter; each user keeps only their ids. Per event, the shared conditions are
// evaluated once per template (see evaluator.ts).
import { summariseActions } from "./actions.ts";
import {
  compileCondition,
  compileEventMatch,
  compileOwnCondition,
  mayNameOwner,
  OWNER_LOCALPART,
  OWNER_USER,
  ownerParams,
  type ConditionPredicate,
  type OwnConditionPredicate,
  type OwnerParams,
} from "./conditions.ts";
import { splitPropertyPath } from "./property-path.ts";
import { LEGACY_MENTION_RULE_IDS, userLocalpart } from "./default-rules.ts";
import { PUSH_RULE_KINDS, type PushCondition, type PushRule, type PushRuleKind, type PushRuleset } from "./types.ts";
import type { PushEvaluation } from "./evaluator.ts";

export interface TemplateRule {
  legacyMention: boolean;
  /** Conditions whose result depends only on the event and the room: the same for every user of the template. */
  shared: ConditionPredicate[];
  /**
   * Conditions that name the user (or read the display name), compiled once for every
   * user of the template; each evaluation passes the user's OwnerParams.
   */
  own: OwnConditionPredicate[];
  outcome: PushEvaluation;
}

export interface RulesetTemplate {
  rules: TemplateRule[];
  /**
   * The event properties the own conditions read (their keys; content.body for
   * contains_display_name). An event whose values there do not contain a user's id,
   * localpart or display name fails every own condition for that user.
   */
  ownPaths: readonly (readonly string[])[];
}

/** A user's compiled rules: the shared template and what stands for the user in it. */
export interface UserRules {
  template: RulesetTemplate;
  owner: OwnerParams | undefined;
}

/** Templates by their key, least recently used first; losing one only loses sharing. */
export class RulesetTemplates {
  readonly #byKey = new Map<string, RulesetTemplate>();

  constructor(private readonly max = 1000) {}

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): RulesetTemplate | undefined {
    const t = this.#byKey.get(key);
    if (t) {
      this.#byKey.delete(key);
      this.#byKey.set(key, t);
    }
    return t;
  }

  set(key: string, template: RulesetTemplate): void {
    if (this.#byKey.size >= this.max) this.#byKey.delete(this.#byKey.keys().next().value as string);
    this.#byKey.set(key, template);
  }
}


/**
 * Compiles `ruleset`. With `owner`, conditions whose parameters are the owner's id or
 * localpart (and contains_display_name, which reads the display name) are the user's
 * own; everything else goes into a template shared through `templates` by users whose
 * rules are the same apart from those parameters. Without `owner` every condition but
 * contains_display_name is shared, and the template is this ruleset's alone.
 */
export function compileUserRules(ruleset: PushRuleset, owner?: string, templates?: RulesetTemplates): UserRules {
  const names = owner === undefined ? undefined : { user: owner, localpart: userLocalpart(owner) };
  const enabled: Array<{ kind: PushRuleKind; rule: PushRule; ownFlags: boolean[] }> = [];
  const keyParts: unknown[] = [];
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset.global[kind] ?? []) {
      if (!rule.enabled) continue;
      // A content rule without a pattern has nothing to match.
      if (kind === "content" && typeof rule.pattern !== "string") continue;
      const conditions = conditionsOf(kind, rule);
      // Room and sender rules compare exactly; they stay as they are, with their rule id in the key.
      const ownFlags = conditions.map((c) => kind !== "room" && kind !== "sender" && isOwn(c, names));
      enabled.push({ kind, rule, ownFlags });
      keyParts.push([kind, rule.rule_id, rule.default, rule.actions, ownFlags, conditions.map((c, i) => (ownFlags[i] ? placeholder(c, names) : c))]);
    }
  }
  const key = templates && names ? JSON.stringify(keyParts) : undefined;
  let template = key === undefined ? undefined : templates!.get(key);
  if (!template) {
    const ownPaths = new Map<string, string[]>();
    for (const { kind, rule, ownFlags } of enabled) {
      conditionsOf(kind, rule).forEach((c, i) => {
        if (!ownFlags[i]) return;
        const path = c.kind === "contains_display_name" ? ["content", "body"] : typeof c.key === "string" ? splitPropertyPath(c.key) : undefined;
        if (path) ownPaths.set(JSON.stringify(path), path);
      });
    }
    template = {
      ownPaths: [...ownPaths.values()],
      rules: enabled.map(({ kind, rule, ownFlags }) => {
        const conditions = conditionsOf(kind, rule);
        return {
          legacyMention: rule.default && LEGACY_MENTION_RULE_IDS.has(rule.rule_id),
          shared: compileConditions(kind, rule).filter((_, i) => !ownFlags[i]),
          own: conditions.flatMap((c, i) => (ownFlags[i] ? [compileOwnCondition(placeholder(c, names))] : [])),
          // Cloned before freezing: the tweak objects belong to the caller's ruleset.
          outcome: deepFreeze(structuredClone({ ...summariseActions(rule.actions), rule: { kind, ruleId: rule.rule_id } })),
        };
      }),
    };
    if (key !== undefined) templates!.set(key, template);
  }
  return { template, owner: names && ownerParams(names.user, names.localpart) };
}

/** The rule's conditions in the override/underride shape (content, room and sender rules have one implied condition). */
function conditionsOf(kind: PushRuleKind, rule: PushRule): PushCondition[] {
  switch (kind) {
    case "override":
    case "underride":
      return rule.conditions ?? [];
    case "content":
      return [{ kind: "event_match", key: "content.body", pattern: rule.pattern }];
    case "room":
      return [{ kind: "event_match", key: "room_id", pattern: rule.rule_id }];
    case "sender":
      return [{ kind: "event_match", key: "sender", pattern: rule.rule_id }];
  }
}

function compileConditions(kind: PushRuleKind, rule: PushRule): ConditionPredicate[] {
  switch (kind) {
    case "override":
    case "underride":
      return (rule.conditions ?? []).map(compileCondition);
    case "content":
      return [compileEventMatch("content.body", rule.pattern!)];
    case "room":
      return [(i) => i.event.room_id === rule.rule_id];
    case "sender":
      return [(i) => i.event.sender === rule.rule_id];
  }
}

function isOwn(c: PushCondition, names: { user: string; localpart: string } | undefined): boolean {
  if (c.kind === "contains_display_name") return true;
  if (!names || !mayNameOwner(c)) return false;
  const param = c.kind === "event_match" ? c.pattern : c.value;
  return param === names.user || param === names.localpart;
}

/** The condition as templates hold it: the owner's id and localpart become OWNER_USER / OWNER_LOCALPART. */
function placeholder(c: PushCondition, names: { user: string; localpart: string } | undefined): PushCondition {
  if (!names || !mayNameOwner(c)) return c;
  const swap = (v: unknown) => (v === names.user ? OWNER_USER : v === names.localpart ? OWNER_LOCALPART : v);
  return c.kind === "event_match" ? { ...c, pattern: swap(c.pattern) as string } : { ...c, value: swap(c.value) as PushCondition["value"] };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
