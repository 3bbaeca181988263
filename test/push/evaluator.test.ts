import { describe, expect, test } from "bun:test";
import { compileRuleset, evaluatePushRules } from "../../src/push/evaluator.ts";
import type { StoredPushRule } from "../../src/push/ruleset.ts";
import type { PushRuleset } from "../../src/push/types.ts";
import { ALICE, BOB, ROOM, ctx, evalFor, message, ruleOf } from "./helpers.ts";

const NOTIFY_SOUND_HIGHLIGHT = { notify: true, highlight: true, sound: "default" };

describe("default override rules", () => {
  test(".m.rule.master is off by default and silences everything when enabled", () => {
    const mention = message({ body: "hi", "m.mentions": { user_ids: [ALICE] } });
    expect(evalFor(mention)).toMatchObject(NOTIFY_SOUND_HIGHLIGHT);
    const muted = evalFor(mention, {}, [], [{ kind: "override", ruleId: ".m.rule.master", enabled: true }]);
    expect(ruleOf(muted)).toBe(".m.rule.master");
    expect(muted).toMatchObject({ notify: false, highlight: false, actions: [] });
  });

  test(".m.rule.master beats user override rules", () => {
    const userRule: StoredPushRule = {
      kind: "override",
      ruleId: "everything",
      priority: 0,
      conditions: [],
      actions: ["notify"],
      enabled: true,
    };
    const e = evalFor(message({ body: "x" }), {}, [userRule], [{ kind: "override", ruleId: ".m.rule.master", enabled: true }]);
    expect(ruleOf(e)).toBe(".m.rule.master");
  });

  test(".m.rule.suppress_notices", () => {
    const notice = evalFor(message({ msgtype: "m.notice", body: "bot says" }));
    expect(ruleOf(notice)).toBe(".m.rule.suppress_notices");
    expect(notice.notify).toBe(false);
    const text = evalFor(message({ msgtype: "m.text", body: "bot says" }));
    expect(ruleOf(text)).toBe(".m.rule.message");
    expect(text.notify).toBe(true);
  });

  test(".m.rule.invite_for_me and .m.rule.member_event", () => {
    const invite = (target: string) => ({
      type: "m.room.member",
      sender: BOB,
      room_id: ROOM,
      state_key: target,
      content: { membership: "invite" },
    });
    const mine = evalFor(invite(ALICE));
    expect(ruleOf(mine)).toBe(".m.rule.invite_for_me");
    expect(mine).toMatchObject({ notify: true, highlight: false, sound: "default" });
    const theirs = evalFor(invite("@carol:example.org"));
    expect(ruleOf(theirs)).toBe(".m.rule.member_event");
    expect(theirs.notify).toBe(false);
    const join = evalFor({ ...invite(BOB), content: { membership: "join" } });
    expect(ruleOf(join)).toBe(".m.rule.member_event");
  });

  test(".m.rule.is_user_mention", () => {
    const hit = evalFor(message({ body: "hey", "m.mentions": { user_ids: [ALICE] } }));
    expect(ruleOf(hit)).toBe(".m.rule.is_user_mention");
    expect(hit).toMatchObject(NOTIFY_SOUND_HIGHLIGHT);
    const miss = evalFor(message({ body: "hey", "m.mentions": { user_ids: ["@carol:example.org"] } }));
    expect(ruleOf(miss)).toBe(".m.rule.message");
    expect(miss.highlight).toBe(false);
  });

  test(".m.rule.contains_display_name matches the display name as words, case-insensitively", () => {
    const over = { userDisplayName: "Queen of Hearts" };
    const hit = evalFor(message({ body: "Ask the queen OF hearts!" }), over);
    expect(ruleOf(hit)).toBe(".m.rule.contains_display_name");
    expect(hit).toMatchObject(NOTIFY_SOUND_HIGHLIGHT);
    expect(ruleOf(evalFor(message({ body: "the queen of heartsick" }), over))).toBe(".m.rule.message");
    // No display name, or an empty one, never matches.
    expect(ruleOf(evalFor(message({ body: "anything" }), { userDisplayName: "" }))).toBe(".m.rule.message");
  });

  test("a display name is matched literally, not as a glob", () => {
    const over = { userDisplayName: "a*" };
    expect(ruleOf(evalFor(message({ body: "abc" }), over))).toBe(".m.rule.message");
    expect(ruleOf(evalFor(message({ body: "say a* now" }), over))).toBe(".m.rule.contains_display_name");
  });

  test(".m.rule.is_room_mention needs the sender's power", () => {
    const ev = message({ body: "all", "m.mentions": { room: true } });
    const admin = evalFor(ev, { senderPowerLevel: 50 });
    expect(ruleOf(admin)).toBe(".m.rule.is_room_mention");
    expect(admin).toMatchObject({ notify: true, highlight: true });
    expect(admin.sound).toBeUndefined();
    expect(ruleOf(evalFor(ev, { senderPowerLevel: 49 }))).toBe(".m.rule.message");
    // The room may lower the level needed.
    const lowered = evalFor(ev, { senderPowerLevel: 0, powerLevelsContent: { notifications: { room: 0 } } });
    expect(ruleOf(lowered)).toBe(".m.rule.is_room_mention");
    expect(ruleOf(evalFor(message({ body: "all", "m.mentions": { room: "true" } }), { senderPowerLevel: 100 }))).toBe(
      ".m.rule.message",
    );
  });

  test(".m.rule.roomnotif applies only without m.mentions", () => {
    const legacy = evalFor(message({ body: "@room: lunch!" }), { senderPowerLevel: 100 });
    expect(ruleOf(legacy)).toBe(".m.rule.roomnotif");
    expect(legacy.highlight).toBe(true);
    expect(ruleOf(evalFor(message({ body: "@room: lunch!" }), { senderPowerLevel: 0 }))).toBe(".m.rule.message");
    expect(ruleOf(evalFor(message({ body: "@roomy" }), { senderPowerLevel: 100 }))).toBe(".m.rule.message");
    const modern = evalFor(message({ body: "@room: lunch!", "m.mentions": {} }), { senderPowerLevel: 100 });
    expect(ruleOf(modern)).toBe(".m.rule.message");
  });

  test("legacy body rules are skipped when the event has m.mentions", () => {
    const body = "alice, Alice Liddell, look";
    expect(ruleOf(evalFor(message({ body })))).toBe(".m.rule.contains_display_name");
    expect(ruleOf(evalFor(message({ body, "m.mentions": {} })))).toBe(".m.rule.message");
  });

  test(".m.rule.tombstone needs a state event", () => {
    const tomb = { type: "m.room.tombstone", sender: BOB, room_id: ROOM, content: { replacement_room: "!n:x" } };
    const hit = evalFor({ ...tomb, state_key: "" });
    expect(ruleOf(hit)).toBe(".m.rule.tombstone");
    expect(hit).toMatchObject({ notify: true, highlight: true });
    expect(ruleOf(evalFor(tomb))).toBeUndefined();
    expect(ruleOf(evalFor({ ...tomb, state_key: "x" }))).toBeUndefined();
  });

  test(".m.rule.reaction, .m.rule.room.server_acl and .m.rule.suppress_edits silence", () => {
    const reaction = evalFor({ type: "m.reaction", sender: BOB, room_id: ROOM, content: {} });
    expect(ruleOf(reaction)).toBe(".m.rule.reaction");
    expect(reaction.notify).toBe(false);
    const acl = evalFor({ type: "m.room.server_acl", sender: BOB, room_id: ROOM, state_key: "", content: {} });
    expect(ruleOf(acl)).toBe(".m.rule.room.server_acl");
    expect(acl.notify).toBe(false);
    const edit = evalFor(message({ body: "* fixed", "m.relates_to": { rel_type: "m.replace", event_id: "$x" } }));
    expect(ruleOf(edit)).toBe(".m.rule.suppress_edits");
    expect(edit.notify).toBe(false);
    const reply = evalFor(message({ body: "re", "m.relates_to": { rel_type: "m.thread", event_id: "$x" } }));
    expect(ruleOf(reply)).toBe(".m.rule.message");
  });

  test("an edit that mentions the user still notifies", () => {
    const edit = evalFor(
      message({ body: "* hi", "m.mentions": { user_ids: [ALICE] }, "m.relates_to": { rel_type: "m.replace" } }),
    );
    expect(ruleOf(edit)).toBe(".m.rule.is_user_mention");
  });
});

describe("default content and underride rules", () => {
  test(".m.rule.contains_user_name matches the localpart as a word", () => {
    const hit = evalFor(message({ body: "ping ALICE." }), { userDisplayName: undefined });
    expect(ruleOf(hit)).toBe(".m.rule.contains_user_name");
    expect(hit).toMatchObject(NOTIFY_SOUND_HIGHLIGHT);
    expect(ruleOf(evalFor(message({ body: "malice aforethought" }), { userDisplayName: undefined }))).toBe(
      ".m.rule.message",
    );
  });

  test(".m.rule.call", () => {
    const call = evalFor({ type: "m.call.invite", sender: BOB, room_id: ROOM, content: {} });
    expect(ruleOf(call)).toBe(".m.rule.call");
    expect(call).toMatchObject({ notify: true, highlight: false, sound: "ring" });
  });

  test("one-to-one rules need exactly two members", () => {
    const enc = { type: "m.room.encrypted", sender: BOB, room_id: ROOM, content: { ciphertext: "x" } };
    const dmEnc = evalFor(enc, { roomMemberCount: 2 });
    expect(ruleOf(dmEnc)).toBe(".m.rule.encrypted_room_one_to_one");
    expect(dmEnc.sound).toBe("default");
    const groupEnc = evalFor(enc, { roomMemberCount: 3 });
    expect(ruleOf(groupEnc)).toBe(".m.rule.encrypted");
    expect(groupEnc).toMatchObject({ notify: true, highlight: false });
    expect(groupEnc.sound).toBeUndefined();

    const dm = evalFor(message({ body: "hi" }), { roomMemberCount: 2 });
    expect(ruleOf(dm)).toBe(".m.rule.room_one_to_one");
    expect(dm.sound).toBe("default");
    const group = evalFor(message({ body: "hi" }), { roomMemberCount: 3 });
    expect(ruleOf(group)).toBe(".m.rule.message");
    expect(group.sound).toBeUndefined();
  });

  test("events no rule covers do not notify", () => {
    const topic = evalFor({ type: "m.room.topic", sender: BOB, room_id: ROOM, state_key: "", content: { topic: "t" } });
    expect(topic).toMatchObject({ notify: false, highlight: false, actions: [] });
    expect(topic.rule).toBeUndefined();
  });

  test("the user's own events never notify", () => {
    const own = evalFor(message({ body: "hi", "m.mentions": { user_ids: [ALICE] } }, { sender: ALICE }));
    expect(own.notify).toBe(false);
    expect(own.rule).toBeUndefined();
  });
});

describe("user rules", () => {
  const rule = (r: Partial<StoredPushRule> & Pick<StoredPushRule, "kind" | "ruleId">): StoredPushRule => ({
    priority: 0,
    actions: ["notify"],
    enabled: true,
    ...r,
  });

  test("content rules match their pattern as words and beat default content rules", () => {
    const cake = rule({ kind: "content", ruleId: "cake", pattern: "cake", actions: ["notify", { set_tweak: "sound", value: "cakealarm.wav" }] });
    const hit = evalFor(message({ body: "Cake time" }), {}, [cake]);
    expect(ruleOf(hit)).toBe("cake");
    expect(hit.sound).toBe("cakealarm.wav");
    expect(ruleOf(evalFor(message({ body: "cupcakes" }), {}, [cake]))).toBe(".m.rule.message");
    const both = evalFor(message({ body: "alice wants cake" }), { userDisplayName: undefined }, [cake]);
    expect(ruleOf(both)).toBe("cake");
  });

  test("higher-priority content rules win ties", () => {
    const cake = rule({ kind: "content", ruleId: "cake", pattern: "cake", priority: 0 });
    const lie = rule({ kind: "content", ruleId: "lie", pattern: "cake*lie", priority: 1, actions: [] });
    expect(ruleOf(evalFor(message({ body: "the cake is a lie" }), {}, [cake, lie]))).toBe("lie");
    expect(ruleOf(evalFor(message({ body: "the cake is real" }), {}, [cake, lie]))).toBe("cake");
  });

  test("room and sender rules", () => {
    const muteRoom = rule({ kind: "room", ruleId: ROOM, actions: [] });
    expect(ruleOf(evalFor(message({ body: "x" }), {}, [muteRoom]))).toBe(ROOM);
    expect(ruleOf(evalFor(message({ body: "x" }, { room_id: "!other:x" }), {}, [muteRoom]))).toBe(".m.rule.message");
    const muteBob = rule({ kind: "sender", ruleId: BOB, actions: ["dont_notify"] });
    const e = evalFor(message({ body: "x" }), {}, [muteBob]);
    expect(ruleOf(e)).toBe(BOB);
    expect(e).toMatchObject({ notify: false, actions: [] });
  });

  test("room rules come before sender rules, and override rules before both", () => {
    const room = rule({ kind: "room", ruleId: ROOM, actions: [] });
    const sender = rule({ kind: "sender", ruleId: BOB });
    expect(ruleOf(evalFor(message({ body: "x" }), {}, [room, sender]))).toBe(ROOM);
    const over = rule({ kind: "override", ruleId: "o", conditions: [{ kind: "event_match", key: "content.body", pattern: "x" }] });
    expect(ruleOf(evalFor(message({ body: "x" }), {}, [room, sender, over]))).toBe("o");
  });

  test("user override rules come after .m.rule.master but before the other defaults", () => {
    const notices = rule({
      kind: "override",
      ruleId: "notices-too",
      conditions: [{ kind: "event_match", key: "content.msgtype", pattern: "m.notice" }],
    });
    const e = evalFor(message({ msgtype: "m.notice", body: "n" }), {}, [notices]);
    expect(ruleOf(e)).toBe("notices-too");
    expect(e.notify).toBe(true);
  });

  test("disabled rules are skipped", () => {
    const muteRoom = rule({ kind: "room", ruleId: ROOM, actions: [], enabled: false });
    expect(ruleOf(evalFor(message({ body: "x" }), {}, [muteRoom]))).toBe(".m.rule.message");
    const e = evalFor(message({ msgtype: "m.notice", body: "n" }), {}, [], [
      { kind: "override", ruleId: ".m.rule.suppress_notices", enabled: false },
    ]);
    expect(ruleOf(e)).toBe(".m.rule.message");
  });

  test("default rules' actions can be replaced", () => {
    const e = evalFor(message({ body: "x" }), {}, [], [
      { kind: "underride", ruleId: ".m.rule.message", actions: ["notify", { set_tweak: "highlight", value: false }] },
    ]);
    expect(e).toMatchObject({ notify: true, highlight: false, actions: ["notify", { set_tweak: "highlight", value: false }] });
  });
});

describe("conditions", () => {
  const single = (condition: Record<string, unknown>, actions: unknown[] = ["notify"]): PushRuleset => ({
    global: {
      override: [{ rule_id: "r", default: false, enabled: true, conditions: [condition as never], actions: actions as never }],
      content: [],
      room: [],
      sender: [],
      underride: [],
    },
  });
  const fires = (condition: Record<string, unknown>, event: Record<string, unknown>, over = {}) =>
    evaluatePushRules(single(condition), ctx({ sender: BOB, room_id: ROOM, ...event }, over)).notify;

  test("event_match matches the whole value with * and ?", () => {
    const c = { kind: "event_match", key: "content.topic", pattern: "lunc?*" };
    expect(fires(c, { content: { topic: "Lunch plans" } })).toBe(true);
    expect(fires(c, { content: { topic: "LUNCH" } })).toBe(true);
    expect(fires(c, { content: { topic: " lunch" } })).toBe(false);
    expect(fires(c, { content: { topic: "lunc" } })).toBe(false);
    expect(fires(c, { content: { topic: null } })).toBe(false);
    expect(fires({ kind: "event_match", key: "content.topic", pattern: "*" }, { content: {} })).toBe(false);
    expect(fires({ kind: "event_match", key: "content.n", pattern: "*" }, { content: { n: 1 } })).toBe(false);
  });

  test("event_match treats regex characters literally", () => {
    const c = { kind: "event_match", key: "type", pattern: "m.room.(a|b)+" };
    expect(fires(c, { type: "m.room.(a|b)+" })).toBe(true);
    expect(fires(c, { type: "mxroomxab" })).toBe(false);
  });

  test("event_match on content.body matches words", () => {
    const c = { kind: "event_match", key: "content.body", pattern: "ex*ple" };
    expect(fires(c, { content: { body: "An example event." } })).toBe(true);
    expect(fires(c, { content: { body: "exple" } })).toBe(true);
    expect(fires(c, { content: { body: "An exciting triple-whammy" } })).toBe(true);
    expect(fires(c, { content: { body: "complex sample" } })).toBe(false);
    expect(fires(c, { content: { body: "examples" } })).toBe(false);
  });

  test("body words span newlines", () => {
    const c = { kind: "event_match", key: "content.body", pattern: "a*b" };
    expect(fires(c, { content: { body: "a\nb" } })).toBe(true);
  });

  test("keys with escaped dots reach dotted property names", () => {
    const c = { kind: "event_match", key: "content.m\\.relates_to.rel_type", pattern: "m.thread" };
    expect(fires(c, { content: { "m.relates_to": { rel_type: "m.thread" } } })).toBe(true);
    expect(fires(c, { content: { m: { relates_to: { rel_type: "m.thread" } } } })).toBe(false);
  });

  test("event_property_is compares exactly without casting", () => {
    const c = { kind: "event_property_is", key: "content.m\\.federate", value: true };
    expect(fires(c, { content: { "m.federate": true } })).toBe(true);
    expect(fires(c, { content: { "m.federate": "true" } })).toBe(false);
    expect(fires(c, { content: { "m.federate": 1 } })).toBe(false);
    expect(fires({ kind: "event_property_is", key: "content.x", value: null }, { content: { x: null } })).toBe(true);
    expect(fires({ kind: "event_property_is", key: "content.x", value: null }, { content: {} })).toBe(false);
    expect(fires({ kind: "event_property_is", key: "content.x", value: "A" }, { content: { x: "a" } })).toBe(false);
  });

  test("event_property_contains needs an array holding the exact value", () => {
    const c = { kind: "event_property_contains", key: "content.alt_aliases", value: "#myroom:example.com" };
    expect(fires(c, { content: { alt_aliases: ["#somewhere:example.org", "#myroom:example.com"] } })).toBe(true);
    expect(fires(c, { content: { alt_aliases: [":example.com"] } })).toBe(false);
    expect(fires(c, { content: { alt_aliases: "#myroom:example.com" } })).toBe(false);
  });

  test("room_member_count understands its comparison prefixes", () => {
    const at = (is: string, n: number) => fires({ kind: "room_member_count", is }, {}, { roomMemberCount: n });
    expect([at("2", 2), at("2", 3)]).toEqual([true, false]);
    expect([at("==2", 2), at("==2", 1)]).toEqual([true, false]);
    expect([at("<2", 1), at("<2", 2)]).toEqual([true, false]);
    expect([at(">2", 3), at(">2", 2)]).toEqual([true, false]);
    expect([at("<=2", 2), at("<=2", 3)]).toEqual([true, false]);
    expect([at(">=2", 2), at(">=2", 1)]).toEqual([true, false]);
    expect(at("=>2", 5)).toBe(false);
    expect(at("two", 2)).toBe(false);
  });

  test("sender_notification_permission reads string levels only before room v10", () => {
    const c = { kind: "sender_notification_permission", key: "room" };
    const pl = { notifications: { room: "10" } };
    expect(fires(c, {}, { senderPowerLevel: 10, powerLevelsContent: pl, roomVersion: "9" })).toBe(true);
    expect(fires(c, {}, { senderPowerLevel: 10, powerLevelsContent: pl, roomVersion: "10" })).toBe(false);
    expect(fires(c, {}, { senderPowerLevel: 50, powerLevelsContent: pl, roomVersion: "10" })).toBe(true);
  });

  test("unknown condition kinds never match", () => {
    expect(fires({ kind: "org.example.always" }, { content: {} })).toBe(false);
    expect(fires({ kind: "event_match", key: "type" }, { type: "m.room.message" })).toBe(false);
  });

  test("legacy actions are ignored and highlight defaults to true", () => {
    const ev = ctx({ type: "t", sender: BOB });
    const legacy = evaluatePushRules(single({ kind: "event_match", key: "type", pattern: "t" }, ["coalesce", "dont_notify"]), ev);
    expect(legacy).toMatchObject({ notify: false, highlight: false, actions: [] });
    const hl = evaluatePushRules(single({ kind: "event_match", key: "type", pattern: "t" }, [{ set_tweak: "highlight" }]), ev);
    expect(hl).toMatchObject({ notify: false, highlight: true });
  });

  test("a compiled ruleset gives the same answers on reuse and across display names", () => {
    const compiled = compileRuleset({ global: { override: [], content: [], room: [], sender: [], underride: [] } });
    expect(compiled.evaluate(ctx(message({ body: "x" }))).notify).toBe(false);
    const defaults = compileRuleset(
      // contains_display_name only
      { global: { override: [{ rule_id: ".m.rule.contains_display_name", default: true, enabled: true, conditions: [{ kind: "contains_display_name" }], actions: ["notify"] }], content: [], room: [], sender: [], underride: [] } },
    );
    expect(defaults.evaluate(ctx(message({ body: "hi Bea" }), { userDisplayName: "Bea" })).notify).toBe(true);
    expect(defaults.evaluate(ctx(message({ body: "hi Bea" }), { userDisplayName: "Cy" })).notify).toBe(false);
    expect(defaults.evaluate(ctx(message({ body: "hi Cy" }), { userDisplayName: "Cy" })).notify).toBe(true);
    expect(defaults.evaluate(ctx(message({ body: "hi Bea" }), { userDisplayName: "Bea" })).notify).toBe(true);
  });
});

describe("compileRuleset", () => {
  test("does not freeze or change the ruleset it was given", () => {
    const tweak = { set_tweak: "sound", value: "default" };
    const ruleset: PushRuleset = {
      global: {
        override: [{ rule_id: "r", default: false, enabled: true, conditions: [], actions: ["notify", tweak] }],
        content: [],
        room: [],
        sender: [],
        underride: [],
      },
    };
    const result = compileRuleset(ruleset).evaluate(ctx(message({ body: "x" })));
    expect(result.sound).toBe("default");
    expect(Object.isFrozen(tweak)).toBe(false);
    expect(Object.isFrozen(ruleset.global.override[0].actions)).toBe(false);
  });
});
