import { describe, expect, test } from "bun:test";
import { errorOf } from "../support/matrix-error.ts";
import {
  buildRuleset,
  deleteRule,
  findRule,
  insertRule,
  parsePushRuleBody,
  parseRuleKind,
  setRuleActions,
  setRuleEnabled,
  type NewPushRule,
  type StoredPushRule,
} from "../../src/push/ruleset.ts";
import { ALICE } from "./helpers.ts";

const roomRule = (ruleId: string): NewPushRule => ({ kind: "room", ruleId, actions: ["notify"] });
const ids = (rules: StoredPushRule[], kind = "room") =>
  rules
    .filter((r) => r.kind === kind)
    .sort((a, b) => b.priority - a.priority)
    .map((r) => r.ruleId);

describe("insertRule", () => {
  test("new rules go before older ones by default", () => {
    let rules = insertRule([], roomRule("#a"));
    rules = insertRule(rules, roomRule("#b"));
    expect(ids(rules)).toEqual(["#b", "#a"]);
    expect(rules.every((r) => r.enabled)).toBe(true);
  });

  test("before and after place a rule next to another", () => {
    let rules = insertRule([], roomRule("#a"));
    rules = insertRule(rules, roomRule("#b"));
    rules = insertRule(rules, roomRule("#c"), { after: "#a" });
    expect(ids(rules)).toEqual(["#b", "#a", "#c"]);
    rules = insertRule(rules, roomRule("#d"), { before: "#a" });
    expect(ids(rules)).toEqual(["#b", "#d", "#a", "#c"]);
    rules = insertRule(rules, roomRule("#e"), { after: "#c" });
    expect(ids(rules)).toEqual(["#b", "#d", "#a", "#c", "#e"]);
  });

  test("before wins when both are given", () => {
    let rules = insertRule([], roomRule("#a"));
    rules = insertRule(rules, roomRule("#b"));
    rules = insertRule(rules, roomRule("#c"), { before: "#a", after: "#b" });
    expect(ids(rules)).toEqual(["#b", "#c", "#a"]);
  });

  test("priorities are distinct and descending", () => {
    let rules: StoredPushRule[] = [];
    for (const id of ["#a", "#b", "#c"]) rules = insertRule(rules, roomRule(id), { after: rules[0]?.ruleId });
    const prios = rules.map((r) => r.priority).sort();
    expect(new Set(prios).size).toBe(3);
  });

  test("updating keeps the place and the enabled state unless moved", () => {
    let rules = insertRule([], roomRule("#a"));
    rules = insertRule(rules, roomRule("#b"));
    rules = rules.map((r) => (r.ruleId === "#a" ? { ...r, enabled: false } : r));
    rules = insertRule(rules, { ...roomRule("#a"), actions: [] });
    expect(ids(rules)).toEqual(["#b", "#a"]);
    const a = rules.find((r) => r.ruleId === "#a")!;
    expect(a.enabled).toBe(false);
    expect(a.actions).toEqual([]);
    rules = insertRule(rules, roomRule("#a"), { before: "#b" });
    expect(ids(rules)).toEqual(["#a", "#b"]);
    expect(rules.length).toBe(2);
  });

  test("other kinds are left alone", () => {
    let rules = insertRule([], { kind: "content", ruleId: "cake", pattern: "cake", actions: [] });
    const before = rules[0];
    rules = insertRule(rules, roomRule("#a"));
    expect(rules.find((r) => r.kind === "content")).toEqual(before);
  });

  test("keeps conditions and patterns only where they belong", () => {
    const rules = insertRule([], { kind: "underride", ruleId: "u", actions: [] });
    expect(rules[0].conditions).toEqual([]);
    const c = insertRule([], { kind: "content", ruleId: "c", pattern: "x*", actions: [] });
    expect(c[0].pattern).toBe("x*");
    expect(c[0].conditions).toBeUndefined();
  });

  test("an unknown or default anchor is 400 M_UNKNOWN", () => {
    const rules = insertRule([], { kind: "override", ruleId: "mine", conditions: [], actions: [] });
    const unknown = errorOf(() => insertRule(rules, { kind: "override", ruleId: "x", actions: [] }, { before: "nope" }));
    expect(unknown).toMatchObject({ status: 400, errcode: "M_UNKNOWN" });
    expect(unknown.message).toContain("nope");
    const dflt = errorOf(() =>
      insertRule(rules, { kind: "override", ruleId: "x", actions: [] }, { after: ".m.rule.suppress_notices" }),
    );
    expect(dflt).toMatchObject({ status: 400, errcode: "M_UNKNOWN" });
    expect(dflt.message).toContain("server-default");
    // An anchor of another kind does not count.
    expect(errorOf(() => insertRule(rules, roomRule("#r"), { before: "mine" })).status).toBe(400);
  });

  test("rule ids starting with '.' or holding slashes are rejected", () => {
    expect(errorOf(() => insertRule([], roomRule(".m.rule.mine")))).toMatchObject({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
    expect(errorOf(() => insertRule([], roomRule("a/b"))).errcode).toBe("M_INVALID_PARAM");
    expect(errorOf(() => insertRule([], roomRule("a\\b"))).errcode).toBe("M_INVALID_PARAM");
  });
});

describe("parsePushRuleBody", () => {
  test("accepts each kind's own fields", () => {
    expect(parsePushRuleBody("content", "c", { pattern: "cake*lie", actions: ["notify"] })).toEqual({
      kind: "content",
      ruleId: "c",
      pattern: "cake*lie",
      actions: ["notify"],
    });
    const cond = [{ kind: "event_match", key: "content.body", pattern: "beer" }, { kind: "room_member_count", is: "<=10" }];
    expect(parsePushRuleBody("override", "o", { conditions: cond, actions: [] }).conditions).toEqual(cond);
    expect(parsePushRuleBody("underride", "u", { actions: [] }).conditions).toEqual([]);
    expect(parsePushRuleBody("sender", "@spam:x", { actions: [] })).toEqual({ kind: "sender", ruleId: "@spam:x", actions: [] });
  });

  test("rejects fields of the wrong kind with M_INVALID_PARAM", () => {
    expect(errorOf(() => parsePushRuleBody("room", "!r:x", { actions: [], pattern: "x" })).errcode).toBe("M_INVALID_PARAM");
    expect(errorOf(() => parsePushRuleBody("content", "c", { actions: [], pattern: "x", conditions: [] })).errcode).toBe(
      "M_INVALID_PARAM",
    );
    expect(errorOf(() => parsePushRuleBody("override", "o", { actions: [], pattern: "x" })).errcode).toBe("M_INVALID_PARAM");
  });

  test("rejects missing or malformed fields", () => {
    expect(errorOf(() => parsePushRuleBody("room", "!r:x", {}))).toMatchObject({ status: 400, errcode: "M_MISSING_PARAM" });
    expect(errorOf(() => parsePushRuleBody("content", "c", { actions: [] })).errcode).toBe("M_MISSING_PARAM");
    expect(errorOf(() => parsePushRuleBody("content", "c", { actions: [], pattern: 3 })).errcode).toBe("M_INVALID_PARAM");
    expect(errorOf(() => parsePushRuleBody("room", "!r:x", { actions: ["explode"] })).errcode).toBe("M_INVALID_PARAM");
    expect(errorOf(() => parsePushRuleBody("room", "!r:x", { actions: "notify" })).errcode).toBe("M_INVALID_PARAM");
    expect(errorOf(() => parsePushRuleBody("override", "o", { actions: [], conditions: [{ key: "x" }] })).errcode).toBe(
      "M_INVALID_PARAM",
    );
    expect(errorOf(() => parsePushRuleBody("room", "!r:x", [])).errcode).toBe("M_BAD_JSON");
    expect(errorOf(() => parsePushRuleBody("device", "x", { actions: [] })).errcode).toBe("M_INVALID_PARAM");
    expect(errorOf(() => parsePushRuleBody("override", ".m.rule.master", { actions: [] })).errcode).toBe("M_INVALID_PARAM");
  });

  test("accepts legacy actions and tweaks", () => {
    const actions = ["dont_notify", "coalesce", { set_tweak: "sound", value: "x" }, { set_tweak: "highlight" }];
    expect(parsePushRuleBody("room", "!r:x", { actions }).actions).toEqual(actions);
  });

  test("parseRuleKind", () => {
    expect(parseRuleKind("underride")).toBe("underride");
    expect(errorOf(() => parseRuleKind("global")).errcode).toBe("M_INVALID_PARAM");
  });
});

describe("deleteRule", () => {
  test("removes a user rule", () => {
    let rules = insertRule([], roomRule("#a"));
    rules = insertRule(rules, roomRule("#b"));
    expect(ids(deleteRule(rules, "room", "#a"))).toEqual(["#b"]);
  });

  test("unknown rules and default rules are 404", () => {
    const rules = insertRule([], roomRule("#a"));
    expect(errorOf(() => deleteRule(rules, "room", "#zz"))).toMatchObject({ status: 404, errcode: "M_NOT_FOUND" });
    expect(errorOf(() => deleteRule(rules, "sender", "#a"))).toMatchObject({ status: 404, errcode: "M_NOT_FOUND" });
    expect(errorOf(() => deleteRule(rules, "override", ".m.rule.master"))).toMatchObject({ status: 404, errcode: "M_NOT_FOUND" });
  });
});

describe("enabled and actions", () => {
  const stored = insertRule([], roomRule("#a"));

  test("user rules change in place", () => {
    const change = setRuleEnabled(stored, [], "room", "#a", false);
    expect(change).toEqual({ target: "user", rule: { ...stored[0], enabled: false } });
    const actions = setRuleActions(stored, [], "room", "#a", []);
    expect(actions).toEqual({ target: "user", rule: { ...stored[0], actions: [] } });
  });

  test("default rules produce overrides that merge with earlier ones", () => {
    const first = setRuleEnabled(stored, [], "override", ".m.rule.master", true);
    expect(first).toEqual({ target: "default", override: { kind: "override", ruleId: ".m.rule.master", enabled: true } });
    if (first.target !== "default") throw new Error("unreachable");
    const second = setRuleActions(stored, [first.override], "override", ".m.rule.master", ["notify"]);
    expect(second).toEqual({
      target: "default",
      override: { kind: "override", ruleId: ".m.rule.master", enabled: true, actions: ["notify"] },
    });
  });

  test("unknown rules, wrong kinds and bad values are rejected", () => {
    expect(errorOf(() => setRuleEnabled(stored, [], "override", ".not.a.default.rule", true))).toMatchObject({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    expect(errorOf(() => setRuleEnabled(stored, [], "underride", ".m.rule.master", true)).status).toBe(404);
    expect(errorOf(() => setRuleEnabled(stored, [], "room", "#a", "yes")).errcode).toBe("M_INVALID_PARAM");
    expect(errorOf(() => setRuleActions(stored, [], "room", "#a", [42])).errcode).toBe("M_INVALID_PARAM");
  });
});

describe("buildRuleset", () => {
  test("puts user rules after master and before the other defaults, in priority order", () => {
    let stored = insertRule([], { kind: "override", ruleId: "o1", conditions: [], actions: [] });
    stored = insertRule(stored, { kind: "override", ruleId: "o2", conditions: [], actions: [] });
    stored = insertRule(stored, { kind: "content", ruleId: "cake", pattern: "cake", actions: ["notify"] });
    stored = insertRule(stored, { kind: "underride", ruleId: "u", conditions: [], actions: [] });
    stored = insertRule(stored, roomRule("!r:x"));
    stored = insertRule(stored, { kind: "sender", ruleId: "@s:x", actions: [] });
    const { global } = buildRuleset(ALICE, stored, []);
    expect(global.override.slice(0, 4).map((r) => r.rule_id)).toEqual([
      ".m.rule.master",
      "o2",
      "o1",
      ".m.rule.suppress_notices",
    ]);
    expect(global.content.map((r) => r.rule_id)).toEqual(["cake", ".m.rule.contains_user_name"]);
    expect(global.underride[0].rule_id).toBe("u");
    expect(global.room).toEqual([{ rule_id: "!r:x", default: false, enabled: true, actions: ["notify"] }]);
    expect(global.sender).toEqual([{ rule_id: "@s:x", default: false, enabled: true, actions: [] }]);
    expect(global.content[0]).toEqual({ rule_id: "cake", default: false, enabled: true, actions: ["notify"], pattern: "cake" });
    expect(global.override[1]).toEqual({ rule_id: "o2", default: false, enabled: true, actions: [], conditions: [] });
  });

  test("applies overrides to default rules and ignores stale ones", () => {
    const { global } = buildRuleset(ALICE, [], [
      { kind: "override", ruleId: ".m.rule.master", enabled: true },
      { kind: "underride", ruleId: ".m.rule.message", actions: [] },
      { kind: "override", ruleId: ".m.rule.gone", enabled: false },
    ]);
    expect(findRule({ global }, "override", ".m.rule.master").enabled).toBe(true);
    expect(findRule({ global }, "underride", ".m.rule.message").actions).toEqual([]);
    expect(findRule({ global }, "underride", ".m.rule.message").default).toBe(true);
    expect(global.override.some((r) => r.rule_id === ".m.rule.gone")).toBe(false);
  });

  test("findRule answers 404 for unknown rules", () => {
    const rs = buildRuleset(ALICE, [], []);
    expect(findRule(rs, "content", ".m.rule.contains_user_name").pattern).toBe("alice");
    expect(errorOf(() => findRule(rs, "room", "!nope:x"))).toMatchObject({ status: 404, errcode: "M_NOT_FOUND" });
  });
});
