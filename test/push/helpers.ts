import { buildRuleset, type DefaultRuleOverride, type StoredPushRule } from "../../src/push/ruleset.ts";
import { compileRuleset, type PushContext, type PushEvaluation } from "../../src/push/evaluator.ts";

export const ALICE = "@alice:example.org";
export const BOB = "@bob:example.org";
export const ROOM = "!room:example.org";

/** A message from Bob in a group room, as Alice would be notified about it. */
export function message(content: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "m.room.message", sender: BOB, room_id: ROOM, event_id: "$e", content, ...extra };
}

export function ctx(event: Record<string, unknown>, over: Partial<PushContext> = {}): PushContext {
  return {
    event,
    roomMemberCount: 5,
    userId: ALICE,
    userDisplayName: "Alice Liddell",
    senderPowerLevel: 0,
    powerLevelsContent: {},
    ...over,
  };
}

/** Evaluates Alice's rules (defaults plus the given user rules and overrides). */
export function evalFor(
  event: Record<string, unknown>,
  over: Partial<PushContext> = {},
  stored: StoredPushRule[] = [],
  overrides: DefaultRuleOverride[] = [],
): PushEvaluation {
  return compileRuleset(buildRuleset(ALICE, stored, overrides)).evaluate(ctx(event, over));
}

export const ruleOf = (e: PushEvaluation) => e.rule?.ruleId;
