import type { GlobalRuleset, PushAction, PushCondition, PushRule, PushRuleKind, PushRuleset } from "./types.ts";

/**
 * The server-default push rules: the spec's predefined rules (Client-Server API,
 * "Predefined Rules"), plus the three legacy mention rules that spec v1.17
 * dropped but Synapse still serves and older clients still expect
 * (.m.rule.contains_display_name, .m.rule.roomnotif, .m.rule.contains_user_name).
 * The evaluator skips those three for events that carry `m.mentions`, as
 * Synapse does, so a modern client's mention never double-fires.
 */

/** Rules the evaluator ignores for events whose content has `m.mentions`. */
export const LEGACY_MENTION_RULE_IDS: ReadonlySet<string> = new Set([
  ".m.rule.contains_display_name",
  ".m.rule.roomnotif",
  ".m.rule.contains_user_name",
]);

const notify = (): PushAction => "notify";
const sound = (value: string): PushAction => ({ set_tweak: "sound", value });
const highlight = (): PushAction => ({ set_tweak: "highlight" });
const match = (key: string, pattern: string): PushCondition => ({ kind: "event_match", key, pattern });

function rule(
  rule_id: string,
  actions: PushAction[],
  extra: { conditions?: PushCondition[]; pattern?: string; enabled?: boolean },
): PushRule {
  const r: PushRule = { rule_id, default: true, enabled: extra.enabled ?? true, actions };
  if (extra.conditions) r.conditions = extra.conditions;
  if (extra.pattern !== undefined) r.pattern = extra.pattern;
  return r;
}

/** The localpart of `@alice:example.org`, i.e. `alice`. */
export function userLocalpart(userId: string): string {
  const colon = userId.indexOf(":");
  return userId.slice(1, colon < 0 ? undefined : colon);
}

function defaultOverrideRules(userId: string): PushRule[] {
  return [
    rule(".m.rule.master", [], { conditions: [], enabled: false }),
    rule(".m.rule.suppress_notices", [], { conditions: [match("content.msgtype", "m.notice")] }),
    rule(".m.rule.invite_for_me", [notify(), sound("default")], {
      conditions: [match("type", "m.room.member"), match("content.membership", "invite"), match("state_key", userId)],
    }),
    rule(".m.rule.member_event", [], { conditions: [match("type", "m.room.member")] }),
    rule(".m.rule.is_user_mention", [notify(), sound("default"), highlight()], {
      conditions: [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: userId }],
    }),
    rule(".m.rule.contains_display_name", [notify(), sound("default"), highlight()], {
      conditions: [{ kind: "contains_display_name" }],
    }),
    rule(".m.rule.is_room_mention", [notify(), highlight()], {
      conditions: [
        { kind: "event_property_is", key: "content.m\\.mentions.room", value: true },
        { kind: "sender_notification_permission", key: "room" },
      ],
    }),
    rule(".m.rule.roomnotif", [notify(), highlight()], {
      conditions: [match("content.body", "@room"), { kind: "sender_notification_permission", key: "room" }],
    }),
    rule(".m.rule.tombstone", [notify(), highlight()], {
      conditions: [match("type", "m.room.tombstone"), match("state_key", "")],
    }),
    rule(".m.rule.reaction", [], { conditions: [match("type", "m.reaction")] }),
    rule(".m.rule.room.server_acl", [], {
      conditions: [match("type", "m.room.server_acl"), match("state_key", "")],
    }),
    rule(".m.rule.suppress_edits", [], {
      conditions: [{ kind: "event_property_is", key: "content.m\\.relates_to.rel_type", value: "m.replace" }],
    }),
  ];
}

function defaultContentRules(userId: string): PushRule[] {
  return [
    rule(".m.rule.contains_user_name", [notify(), sound("default"), highlight()], {
      pattern: userLocalpart(userId),
    }),
  ];
}

function defaultUnderrideRules(): PushRule[] {
  return [
    rule(".m.rule.call", [notify(), sound("ring")], { conditions: [match("type", "m.call.invite")] }),
    rule(".m.rule.encrypted_room_one_to_one", [notify(), sound("default")], {
      conditions: [{ kind: "room_member_count", is: "2" }, match("type", "m.room.encrypted")],
    }),
    rule(".m.rule.room_one_to_one", [notify(), sound("default")], {
      conditions: [{ kind: "room_member_count", is: "2" }, match("type", "m.room.message")],
    }),
    rule(".m.rule.message", [notify()], { conditions: [match("type", "m.room.message")] }),
    rule(".m.rule.encrypted", [notify()], { conditions: [match("type", "m.room.encrypted")] }),
  ];
}

/** The default rules for `userId`, as fresh objects the caller may modify. */
export function defaultPushRules(userId: string): PushRuleset {
  const global: GlobalRuleset = {
    override: defaultOverrideRules(userId),
    content: defaultContentRules(userId),
    room: [],
    sender: [],
    underride: defaultUnderrideRules(),
  };
  return { global };
}

const DEFAULT_IDS: Readonly<Record<PushRuleKind, ReadonlySet<string>>> = (() => {
  const { global } = defaultPushRules("@_:_");
  const ids = (rules: PushRule[]) => new Set(rules.map((r) => r.rule_id));
  return Object.freeze({
    override: ids(global.override),
    content: ids(global.content),
    room: ids(global.room),
    sender: ids(global.sender),
    underride: ids(global.underride),
  });
})();

/** Whether `ruleId` names a server-default rule of `kind`. */
export function isDefaultRuleId(kind: PushRuleKind, ruleId: string): boolean {
  return DEFAULT_IDS[kind].has(ruleId);
}
