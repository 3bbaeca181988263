import type { PushOutcome } from "./actions.ts";
import {
  compileDisplayNameMatcher,
  type ConditionInput,
  type ConditionPredicate,
  type OwnConditionPredicate,
  type OwnerParams,
} from "./conditions.ts";
import type { StringMatcher } from "./glob.ts";
import { compileUserRules, type RulesetTemplate, type RulesetTemplates } from "./ruleset-template.ts";
import type { PushRuleKind, PushRuleset } from "./types.ts";

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
  /**
   * One fresh memo shared by the evaluations of all recipients of the same event (with
   * the same member count, sender power level and power levels); see PushEvaluationMemo.
   */
  memo?: PushEvaluationMemo;
}

export interface PushEvaluation extends PushOutcome {
  /** The rule that matched, if any. */
  rule?: { kind: PushRuleKind; ruleId: string };
}

/** A ruleset compiled once and evaluated many times. */
export interface CompiledPushRules {
  evaluate(ctx: PushContext): PushEvaluation;
  /** What users with the same rules share (see ruleset-template.ts). */
  readonly template: RulesetTemplate;
  /** The user the rules belong to, as the template's own conditions take them; undefined without an owner. */
  readonly owner: OwnerParams | undefined;
}

/**
 * Shared by the evaluations of every recipient of one event: per ruleset template, the
 * rules whose shared conditions hold for the event, and the room's notification levels.
 * Create one per event.
 */
export class PushEvaluationMemo {
  readonly candidates = new Map<RulesetTemplate, readonly number[]>();
  levels: Record<string, number> | undefined;
  #lastValue: string | undefined;
  #lastLowered = "";

  /** The recipients' own conditions mostly lower-case the same body: do it once. */
  readonly lowercase = (value: string): string => {
    if (value !== this.#lastValue) {
      this.#lastValue = value;
      this.#lastLowered = value.toLowerCase();
    }
    return this.#lastLowered;
  };
}

export interface CompileOptions {
  /** The user the rules belong to: lets users with the same rules share one template. */
  owner?: string;
  /** Where templates are shared; with `owner`. */
  templates?: RulesetTemplates;
}

const NO_MATCH: PushEvaluation = Object.freeze({ notify: false, highlight: false, actions: [] }) as PushEvaluation;

function allHold(conditions: readonly ConditionPredicate[], input: ConditionInput): boolean {
  for (const condition of conditions) if (!condition(input)) return false;
  return true;
}

function allOwnHold(conditions: readonly OwnConditionPredicate[], input: ConditionInput, owner: OwnerParams | undefined): boolean {
  for (const condition of conditions) if (!condition(input, owner)) return false;
  return true;
}

function hasMentions(event: Record<string, unknown>): boolean {
  const content = event.content;
  return typeof content === "object" && content !== null && Object.hasOwn(content, "m.mentions");
}

/** The rules, in order, whose shared conditions hold for the event; up to the first that needs nothing else. */
function candidates(template: RulesetTemplate, input: ConditionInput): number[] {
  const skipLegacy = hasMentions(input.event);
  const out: number[] = [];
  for (let r = 0; r < template.rules.length; r++) {
    const rule = template.rules[r]!;
    if (rule.legacyMention && skipLegacy) continue;
    if (!allHold(rule.shared, input)) continue;
    out.push(r);
    if (rule.own.length === 0) break;
  }
  return out;
}

/** Power levels in pre-v10 rooms may be numeric strings; v10 made them integers only. */
function allowsStringLevels(roomVersion: string | undefined): boolean {
  return roomVersion === undefined || /^[1-9]$/.test(roomVersion);
}

function notificationLevels(ctx: Pick<PushContext, "powerLevelsContent" | "roomVersion">): Record<string, number> {
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

/** What the conditions see of `ctx`; the notification levels are parsed once per memo. */
function conditionInput(ctx: Omit<PushContext, "userId">, displayNameMatcher: (name: string) => StringMatcher): ConditionInput {
  return {
    event: ctx.event,
    roomMemberCount: ctx.roomMemberCount,
    userDisplayName: ctx.userDisplayName,
    senderPowerLevel: ctx.senderPowerLevel,
    notificationLevels: ctx.memo ? (ctx.memo.levels ??= notificationLevels(ctx)) : notificationLevels(ctx),
    displayNameMatcher,
    lowercase: ctx.memo?.lowercase,
  };
}

/**
 * Compiles a ruleset: globs become RegExps once, conditions become closures.
 * Keep the result per user and reuse it for every event until the rules change;
 * a busy room evaluates one ruleset per member per event. With `opts.owner` and
 * `opts.templates`, users whose rules are the same share one template, and with a
 * PushEvaluationMemo in the context an event's shared conditions are evaluated once
 * per template instead of once per recipient (see ruleset-template.ts).
 */
export function compileRuleset(ruleset: PushRuleset, opts: CompileOptions = {}): CompiledPushRules {
  const { template, owner } = compileUserRules(ruleset, opts.owner, opts.templates);
  const rules = template.rules;

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
  const inputFor = (ctx: PushContext): ConditionInput => conditionInput(ctx, displayNameMatcher);

  return {
    template,
    owner,
    evaluate(ctx) {
      // Users are never notified about their own events.
      if (ctx.event.sender === ctx.userId) return NO_MATCH;
      let input: ConditionInput | undefined;
      const memo = ctx.memo;
      if (memo) {
        let found = memo.candidates.get(template);
        if (!found) {
          input = inputFor(ctx);
          found = candidates(template, input);
          memo.candidates.set(template, found);
        }
        for (const r of found) {
          const rule = rules[r]!;
          if (rule.own.length === 0) return rule.outcome;
          input ??= inputFor(ctx);
          if (allOwnHold(rule.own, input, owner)) return rule.outcome;
        }
        return NO_MATCH;
      }
      const skipLegacy = hasMentions(ctx.event);
      for (let r = 0; r < rules.length; r++) {
        const rule = rules[r]!;
        if (rule.legacyMention && skipLegacy) continue;
        input ??= inputFor(ctx);
        if (allHold(rule.shared, input) && allOwnHold(rule.own, input, owner)) return rule.outcome;
      }
      return NO_MATCH;
    },
  };
}

/**
 * The outcome of `template` for a recipient whom none of its own conditions match: the
 * first rule whose shared conditions hold and that has no own conditions. The memo must
 * be the event's (its candidates are shared with `evaluate`).
 */
export function evaluateUnnamed(template: RulesetTemplate, ctx: Omit<PushContext, "userId" | "userDisplayName">, memo: PushEvaluationMemo): PushEvaluation {
  let found = memo.candidates.get(template);
  if (!found) {
    found = candidates(template, conditionInput({ ...ctx, memo }, compileDisplayNameMatcher));
    memo.candidates.set(template, found);
  }
  for (const r of found) {
    const rule = template.rules[r]!;
    if (rule.own.length === 0) return rule.outcome;
  }
  return NO_MATCH;
}

/**
 * Runs the push rules for one recipient. Pass a CompiledPushRules when
 * evaluating more than once; a plain ruleset is compiled on every call.
 */
export function evaluatePushRules(rules: PushRuleset | CompiledPushRules, ctx: PushContext): PushEvaluation {
  const compiled = "evaluate" in rules ? rules : compileRuleset(rules);
  return compiled.evaluate(ctx);
}
