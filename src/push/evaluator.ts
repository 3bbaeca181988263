import { summariseActions, type PushOutcome } from "./actions.ts";
import {
  compileCondition,
  compileDisplayNameMatcher,
  compileEventMatch,
  type ConditionInput,
  type ConditionPredicate,
} from "./conditions.ts";
import { LEGACY_MENTION_RULE_IDS } from "./default-rules.ts";
import type { StringMatcher } from "./glob.ts";
import { PUSH_RULE_KINDS, type PushRule, type PushRuleKind, type PushRuleset } from "./types.ts";

/** One recipient and one event. */
export interface PushContext {
  /** The event in client format (type, sender, room_id, state_key, content, ...). */
  event: Record<string, unknown>;
  roomMemberCount: number;
  /** The recipient. */
  userId: string;
  /** The recipient's display name in this room, for contains_display_name. */
  userDisplayName?: string;
  senderPowerLevel: number;
  /** Content of the room's m.room.power_levels, for sender_notification_permission. */
  powerLevelsContent?: Record<string, unknown>;
  /** Rooms before v10 allow string power levels; from v10 only integers count. */
  roomVersion?: string;
}

export interface PushEvaluation extends PushOutcome {
  /** The rule that matched, if any. */
  rule?: { kind: PushRuleKind; ruleId: string };
}

interface CompiledRule {
  kind: PushRuleKind;
  ruleId: string;
  legacyMention: boolean;
  conditions: ConditionPredicate[];
  outcome: PushEvaluation;
}

/** A ruleset compiled once and evaluated many times. */
export interface CompiledPushRules {
  evaluate(ctx: PushContext): PushEvaluation;
}

const NO_MATCH: PushEvaluation = Object.freeze({ notify: false, highlight: false, actions: [] }) as PushEvaluation;

function compileRule(kind: PushRuleKind, rule: PushRule): CompiledRule | undefined {
  if (!rule.enabled) return undefined;
  let conditions: ConditionPredicate[];
  switch (kind) {
    case "override":
    case "underride":
      conditions = (rule.conditions ?? []).map(compileCondition);
      break;
    case "content":
      // A content rule without a pattern has nothing to match.
      if (typeof rule.pattern !== "string") return undefined;
      conditions = [compileEventMatch("content.body", rule.pattern)];
      break;
    case "room":
      conditions = [(i) => i.event.room_id === rule.rule_id];
      break;
    case "sender":
      conditions = [(i) => i.event.sender === rule.rule_id];
      break;
  }
  const outcome: PushEvaluation = { ...summariseActions(rule.actions), rule: { kind, ruleId: rule.rule_id } };
  return {
    kind,
    ruleId: rule.rule_id,
    legacyMention: rule.default && LEGACY_MENTION_RULE_IDS.has(rule.rule_id),
    conditions,
    // Cloned before freezing: the tweak objects belong to the caller's ruleset.
    outcome: deepFreeze(structuredClone(outcome)),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Power levels in pre-v10 rooms may be numeric strings; v10 made them integers only. */
function allowsStringLevels(roomVersion: string | undefined): boolean {
  return roomVersion === undefined || /^[1-9]$/.test(roomVersion);
}

function notificationLevels(ctx: PushContext): Record<string, number> {
  const raw = ctx.powerLevelsContent?.notifications;
  const levels: Record<string, number> = {};
  if (typeof raw !== "object" || raw === null) return levels;
  const lenient = allowsStringLevels(ctx.roomVersion);
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "number" && Number.isInteger(value)) levels[key] = value;
    else if (lenient && typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) levels[key] = Number(value);
  }
  return levels;
}

/**
 * Compiles a ruleset: globs become RegExps once, conditions become closures.
 * Keep the result per user and reuse it for every event until the rules change;
 * a busy room evaluates one ruleset per member per event.
 */
export function compileRuleset(ruleset: PushRuleset): CompiledPushRules {
  const rules: CompiledRule[] = [];
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset.global[kind] ?? []) {
      const compiled = compileRule(kind, rule);
      if (compiled) rules.push(compiled);
    }
  }

  // Display names change rarely; remember the last one's matcher.
  let lastName: string | undefined;
  let lastMatcher: StringMatcher | undefined;
  const displayNameMatcher = (name: string): StringMatcher => {
    if (name !== lastName || !lastMatcher) {
      lastName = name;
      lastMatcher = compileDisplayNameMatcher(name);
    }
    return lastMatcher;
  };

  return {
    evaluate(ctx) {
      const { event } = ctx;
      // Users are never notified about their own events.
      if (event.sender === ctx.userId) return NO_MATCH;
      const content = event.content;
      const hasMentions = typeof content === "object" && content !== null && Object.hasOwn(content, "m.mentions");
      let input: ConditionInput | undefined;
      for (const rule of rules) {
        if (rule.legacyMention && hasMentions) continue;
        input ??= {
          event,
          roomMemberCount: ctx.roomMemberCount,
          userDisplayName: ctx.userDisplayName,
          senderPowerLevel: ctx.senderPowerLevel,
          notificationLevels: notificationLevels(ctx),
          displayNameMatcher,
        };
        let matched = true;
        for (const condition of rule.conditions) {
          if (!condition(input)) {
            matched = false;
            break;
          }
        }
        if (matched) return rule.outcome;
      }
      return NO_MATCH;
    },
  };
}

/**
 * Runs the push rules for one recipient. Pass a CompiledPushRules when
 * evaluating more than once; a plain ruleset is compiled on every call.
 */
export function evaluatePushRules(rules: PushRuleset | CompiledPushRules, ctx: PushContext): PushEvaluation {
  const compiled = "evaluate" in rules ? rules : compileRuleset(rules);
  return compiled.evaluate(ctx);
}
