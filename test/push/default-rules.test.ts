import { describe, expect, test } from "bun:test";
import { defaultPushRules, isDefaultRuleId, userLocalpart } from "../../src/push/default-rules.ts";
import { ALICE } from "./helpers.ts";

describe("defaultPushRules", () => {
  const { global } = defaultPushRules(ALICE);
  const ids = (kind: keyof typeof global) => global[kind].map((r) => r.rule_id);

  test("lists the override rules in the spec's order", () => {
    expect(ids("override")).toEqual([
      ".m.rule.master",
      ".m.rule.suppress_notices",
      ".m.rule.invite_for_me",
      ".m.rule.member_event",
      ".m.rule.is_user_mention",
      ".m.rule.contains_display_name",
      ".m.rule.is_room_mention",
      ".m.rule.roomnotif",
      ".m.rule.tombstone",
      ".m.rule.reaction",
      ".m.rule.room.server_acl",
      ".m.rule.suppress_edits",
    ]);
  });

  test("lists content, room, sender and underride rules", () => {
    expect(ids("content")).toEqual([".m.rule.contains_user_name"]);
    expect(ids("room")).toEqual([]);
    expect(ids("sender")).toEqual([]);
    expect(ids("underride")).toEqual([
      ".m.rule.call",
      ".m.rule.encrypted_room_one_to_one",
      ".m.rule.room_one_to_one",
      ".m.rule.message",
      ".m.rule.encrypted",
    ]);
  });

  test("every rule is marked default, and only master starts disabled", () => {
    for (const rules of Object.values(global)) {
      for (const r of rules) {
        expect(r.default).toBe(true);
        expect(r.enabled).toBe(r.rule_id !== ".m.rule.master");
      }
    }
  });

  test("fills in the user's id and localpart", () => {
    const invite = global.override.find((r) => r.rule_id === ".m.rule.invite_for_me")!;
    expect(invite.conditions).toContainEqual({ kind: "event_match", key: "state_key", pattern: ALICE });
    const mention = global.override.find((r) => r.rule_id === ".m.rule.is_user_mention")!;
    expect(mention.conditions).toEqual([
      { kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: ALICE },
    ]);
    expect(global.content[0].pattern).toBe("alice");
  });

  test("matches the spec's JSON for a few rules exactly", () => {
    expect(global.override[0]).toEqual({
      rule_id: ".m.rule.master",
      default: true,
      enabled: false,
      conditions: [],
      actions: [],
    });
    expect(global.underride[0]).toEqual({
      rule_id: ".m.rule.call",
      default: true,
      enabled: true,
      conditions: [{ kind: "event_match", key: "type", pattern: "m.call.invite" }],
      actions: ["notify", { set_tweak: "sound", value: "ring" }],
    });
    expect(global.override.find((r) => r.rule_id === ".m.rule.is_room_mention")).toEqual({
      rule_id: ".m.rule.is_room_mention",
      default: true,
      enabled: true,
      conditions: [
        { kind: "event_property_is", key: "content.m\\.mentions.room", value: true },
        { kind: "sender_notification_permission", key: "room" },
      ],
      actions: ["notify", { set_tweak: "highlight" }],
    });
  });

  test("content rules have a pattern and no conditions; others have conditions and no pattern", () => {
    for (const r of global.content) {
      expect(r.conditions).toBeUndefined();
      expect(typeof r.pattern).toBe("string");
    }
    for (const r of [...global.override, ...global.underride]) {
      expect(Array.isArray(r.conditions)).toBe(true);
      expect(r.pattern).toBeUndefined();
    }
  });

  test("returns fresh objects each call", () => {
    const a = defaultPushRules(ALICE);
    a.global.override[0].enabled = true;
    expect(defaultPushRules(ALICE).global.override[0].enabled).toBe(false);
  });
});

describe("isDefaultRuleId / userLocalpart", () => {
  test("knows default ids per kind", () => {
    expect(isDefaultRuleId("override", ".m.rule.master")).toBe(true);
    expect(isDefaultRuleId("underride", ".m.rule.master")).toBe(false);
    expect(isDefaultRuleId("content", ".m.rule.contains_user_name")).toBe(true);
    expect(isDefaultRuleId("override", ".not.a.default")).toBe(false);
  });

  test("extracts localparts", () => {
    expect(userLocalpart("@bob:example.org")).toBe("bob");
    expect(userLocalpart("@bob:example.org:8448")).toBe("bob");
  });
});
