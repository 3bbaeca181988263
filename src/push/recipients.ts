// Push rules for every recipient of one event, without evaluating each of them when the
// event names none of them. In a room most members have the default rules (one shared
// template) and a message names few of them: those users' own conditions (mentions of
// their id, their localpart or display name in the body, an invite to them) all fail,
// so they share one outcome, evaluated once. Only users the event may name, and users
// whose ids are globs, are evaluated one by one.
import { evaluateUnnamed, PushEvaluationMemo, type CompiledPushRules, type PushContext, type PushEvaluation } from "./evaluator.ts";
import type { RulesetTemplate } from "./ruleset-template.ts";
import { valueAtPath } from "./property-path.ts";

export interface RecipientOutcomes {
  /** Users who share an outcome: the same template, and the event names none of them. */
  groups: Array<{ outcome: PushEvaluation; userIds: string[] }>;
  /** Everyone else, each with their own evaluation. */
  individual: Array<[userId: string, outcome: PushEvaluation]>;
}

/** What a recipient's evaluation needs besides the event-wide context. */
export interface RecipientRules {
  rules: ReadonlyMap<string, CompiledPushRules>;
  displayNames: ReadonlyMap<string, string | undefined>;
}

/**
 * Evaluates `userIds` (those without compiled rules, and `skip`, are skipped) against
 * the event in `base`. `alone` is evaluated on its own whatever the event says (an invitee).
 */
export function evaluateRecipients(
  userIds: readonly string[],
  { rules, displayNames }: RecipientRules,
  base: Omit<PushContext, "userId" | "userDisplayName" | "memo">,
  alone?: string,
  skip?: string,
): RecipientOutcomes {
  const memo = new PushEvaluationMemo();
  const haystacks = new Map<RulesetTemplate, string>();
  const groups = new Map<RulesetTemplate, { outcome: PushEvaluation; userIds: string[] }>();
  const individual: Array<[string, PushEvaluation]> = [];
  for (const userId of userIds) {
    if (userId === skip) continue;
    const compiled = rules.get(userId);
    if (!compiled) continue;
    const { template, owner } = compiled;
    const name = displayNames.get(userId);
    let shared = owner !== undefined && owner.userLiteral && owner.localpartLiteral && userId !== alone && userId !== base.event.sender;
    if (shared) {
      let haystack = haystacks.get(template);
      if (haystack === undefined) haystacks.set(template, (haystack = haystackOf(template, base.event, memo)));
      // The own conditions' first tests, for every one of them at once (see conditions.ts).
      shared =
        !haystack.includes(owner!.userLower) && !haystack.includes(owner!.localpartLower) && !(name && haystack.includes(name.toLowerCase()));
    }
    if (!shared) {
      individual.push([userId, compiled.evaluate({ ...base, userId, userDisplayName: name, memo })]);
      continue;
    }
    let group = groups.get(template);
    if (!group) groups.set(template, (group = { outcome: evaluateUnnamed(template, base, memo), userIds: [] }));
    group.userIds.push(userId);
  }
  return { groups: [...groups.values()], individual };
}

/**
 * The lower-cased strings (and strings in arrays) at the template's own paths, joined:
 * an own condition can only hold for a user whose id, localpart or display name it holds.
 */
function haystackOf(template: RulesetTemplate, event: Record<string, unknown>, memo: PushEvaluationMemo): string {
  const parts: string[] = [];
  for (const path of template.ownPaths) {
    const value = valueAtPath(event, path);
    if (typeof value === "string") parts.push(memo.lowercase(value));
    // Not through the memo's one-entry cache: that keeps the body for the evaluations after.
    else if (Array.isArray(value)) for (const v of value) if (typeof v === "string") parts.push(v.toLowerCase());
  }
  return parts.join("\u0000");
}
