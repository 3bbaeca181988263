// Push rules evaluated with shared templates and a per-event memo must give exactly what
// each user's rules give when evaluated alone.
import { describe, expect, test } from "bun:test";
import { compileRuleset, PushEvaluationMemo, type PushContext } from "../../src/push/evaluator.ts";
import { buildRuleset, type DefaultRuleOverride, type StoredPushRule } from "../../src/push/ruleset.ts";
import { RulesetTemplates } from "../../src/push/ruleset-template.ts";
import { evaluateRecipients, RecipientIndex } from "../../src/push/recipients.ts";

const ROOM = "!room:example.org";
const SENDER = "@sender:example.org";

interface User {
  id: string;
  name?: string;
  stored?: StoredPushRule[];
  overrides?: DefaultRuleOverride[];
}

function stored(kind: StoredPushRule["kind"], ruleId: string, extra: Partial<StoredPushRule>): StoredPushRule {
  return { kind, ruleId, priority: 0, actions: ["notify"], enabled: true, ...extra };
}

const USERS: User[] = [
  { id: "@alice:example.org", name: "Alice" },
  { id: "@bob:example.org", name: "Bob Builder" },
  { id: "@carol:example.org", stored: [stored("content", "cake", { pattern: "cake", actions: ["notify", { set_tweak: "highlight" }] })] },
  { id: "@dave:example.org", name: "Dave", stored: [stored("sender", SENDER, { actions: [] })] },
  { id: "@erin:example.org", name: "Erin", overrides: [{ kind: "underride", ruleId: ".m.rule.message", enabled: false }] },
  {
    id: "@frank:example.org",
    stored: [stored("override", "self", { conditions: [{ kind: "event_match", key: "content.target", pattern: "@frank:example.org" }] })],
  },
  { id: "@grace:example.org", name: "grace", overrides: [{ kind: "override", ruleId: ".m.rule.master", enabled: true }] },
  { id: "@heidi:example.org", name: "Heidi" },
  // A historical localpart with glob characters: matched as a glob, as compileGlob does.
  { id: "@we?rd:example.org", name: "W" },
];

const msg = (content: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "m.room.message",
  sender: SENDER,
  room_id: ROOM,
  event_id: "$e",
  content,
  ...extra,
});

const EVENTS: Array<{ event: Record<string, unknown>; members: number; senderPowerLevel: number }> = [
  { event: msg({ msgtype: "m.text", body: "hello everyone" }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "ask Bob Builder or bob about the cake" }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "carol? alice!" }), members: 2, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "hi", "m.mentions": { user_ids: ["@heidi:example.org"] } }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "alice", "m.mentions": {} }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "@room look", "m.mentions": { room: true } }), members: 8, senderPowerLevel: 100 },
  { event: msg({ msgtype: "m.text", body: "@room look" }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.notice", body: "bot says hi alice" }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "x", target: "@frank:example.org" }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "how weird, HEIDI" }), members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "ping", "m.mentions": { user_ids: ["@we?rd:example.org", "@bob:example.org"] } }), members: 8, senderPowerLevel: 0 },
  {
    event: { type: "m.room.member", sender: SENDER, room_id: ROOM, state_key: "@erin:example.org", content: { membership: "invite" } },
    members: 8,
    senderPowerLevel: 50,
  },
  { event: { type: "m.room.encrypted", sender: SENDER, room_id: ROOM, content: { algorithm: "x" } }, members: 2, senderPowerLevel: 0 },
  { event: { type: "m.reaction", sender: SENDER, room_id: ROOM, content: {} }, members: 8, senderPowerLevel: 0 },
  { event: msg({ msgtype: "m.text", body: "from myself" }, { sender: "@alice:example.org" }), members: 8, senderPowerLevel: 0 },
];

const rulesetOf = (u: User) => buildRuleset(u.id, u.stored ?? [], u.overrides ?? []);
const context = (e: (typeof EVENTS)[number], u: User, memo?: PushEvaluationMemo): PushContext => ({
  event: e.event,
  roomMemberCount: e.members,
  userId: u.id,
  userDisplayName: u.name,
  senderPowerLevel: e.senderPowerLevel,
  powerLevelsContent: { notifications: { room: 50 } },
  roomVersion: "10",
  memo,
});

describe("shared push rule evaluation", () => {
  test("gives every user what their own rules give alone, for every event", () => {
    const templates = new RulesetTemplates();
    const shared = USERS.map((u) => compileRuleset(rulesetOf(u), { owner: u.id, templates }));
    const alone = USERS.map((u) => compileRuleset(rulesetOf(u)));
    let notified = 0;
    for (const e of EVENTS) {
      const memo = new PushEvaluationMemo();
      USERS.forEach((u, i) => {
        const expected = alone[i]!.evaluate(context(e, u));
        expect({ user: u.id, body: e.event.content, result: shared[i]!.evaluate(context(e, u, memo)) }).toEqual({
          user: u.id,
          body: e.event.content,
          result: expected,
        });
        if (expected.notify) notified++;
      });
    }
    // The table must exercise both outcomes.
    expect(notified).toBeGreaterThan(10);
    expect(notified).toBeLessThan(EVENTS.length * USERS.length);
  });

  test("users with the default rules share one template; their own ids stay their own", () => {
    const templates = new RulesetTemplates();
    const ids = Array.from({ length: 20 }, (_, i) => `@user${i}:example.org`);
    const compiled = ids.map((id) => compileRuleset(buildRuleset(id, [], []), { owner: id, templates }));
    expect(templates.size).toBe(1);
    const memo = new PushEvaluationMemo();
    const mention = msg({ msgtype: "m.text", body: "hi", "m.mentions": { user_ids: ["@user7:example.org"] } });
    const highlighted = ids.filter((id, i) => compiled[i]!.evaluate({ ...context({ event: mention, members: 20, senderPowerLevel: 0 }, { id }), memo }).highlight);
    expect(highlighted).toEqual(["@user7:example.org"]);
    const byName = msg({ msgtype: "m.text", body: "user3: ping" });
    const memo2 = new PushEvaluationMemo();
    const named = ids.filter((id, i) => compiled[i]!.evaluate({ ...context({ event: byName, members: 20, senderPowerLevel: 0 }, { id }), memo: memo2 }).highlight);
    expect(named).toEqual(["@user3:example.org"]);
  });

  test("a rule that names another user is not mistaken for the owner's", () => {
    const templates = new RulesetTemplates();
    const watchBob = (owner: string) =>
      buildRuleset(owner, [stored("content", "bob", { pattern: "bob", actions: ["notify", { set_tweak: "highlight" }] })], []);
    const bob = compileRuleset(watchBob("@bob:example.org"), { owner: "@bob:example.org", templates });
    const amy = compileRuleset(watchBob("@amy:example.org"), { owner: "@amy:example.org", templates });
    const memo = new PushEvaluationMemo();
    const e = { event: msg({ msgtype: "m.text", body: "bob is here" }), members: 5, senderPowerLevel: 0 };
    expect(bob.evaluate(context(e, { id: "@bob:example.org" }, memo)).highlight).toBe(true);
    expect(amy.evaluate(context(e, { id: "@amy:example.org" }, memo)).highlight).toBe(true);
    const other = { event: msg({ msgtype: "m.text", body: "amy is here" }), members: 5, senderPowerLevel: 0 };
    const memo2 = new PushEvaluationMemo();
    expect(bob.evaluate(context(other, { id: "@bob:example.org" }, memo2)).highlight).toBe(false);
    expect(amy.evaluate(context(other, { id: "@amy:example.org" }, memo2)).highlight).toBe(true);
  });

  test("recipients grouped by template get what their own rules give alone", () => {
    const templates = new RulesetTemplates();
    const rules = new Map(USERS.map((u) => [u.id, compileRuleset(rulesetOf(u), { owner: u.id, templates })]));
    const displayNames = new Map(USERS.map((u) => [u.id, u.name]));
    const ids = USERS.map((u) => u.id);
    let grouped = 0;
    for (const e of EVENTS) {
      const invitee = e.event.type === "m.room.member" ? (e.event.state_key as string) : undefined;
      const base = { event: e.event, roomMemberCount: e.members, senderPowerLevel: e.senderPowerLevel, powerLevelsContent: { notifications: { room: 50 } }, roomVersion: "10" };
      const { groups, individual } = evaluateRecipients(ids, { rules, displayNames }, base, invitee);
      // An `alone` that is nobody takes the member-by-member path: the same outcomes, in the same order.
      if (!invitee) expect(evaluateRecipients(ids, { rules, displayNames }, base, "@nobody:example.org")).toEqual({ groups, individual });
      const got = new Map(individual);
      for (const g of groups) for (const id of g.userIds) got.set(id, g.outcome);
      grouped += groups.reduce((n, g) => n + g.userIds.length, 0);
      expect(got.size).toBe(USERS.length);
      for (const u of USERS) {
        const expected = compileRuleset(rulesetOf(u)).evaluate(context(e, u));
        expect({ user: u.id, body: e.event.content, result: got.get(u.id) }).toEqual({ user: u.id, body: e.event.content, result: expected });
      }
      if (invitee) expect(individual.some(([id]) => id === invitee)).toBe(true);
    }
    // Most users are not named by most events: they must have shared an evaluation.
    expect(grouped).toBeGreaterThan(EVENTS.length * 3);
  });

  test("in a room of default rules, only the users an event names are evaluated alone", () => {
    const templates = new RulesetTemplates();
    const ids = Array.from({ length: 30 }, (_, i) => `@member${i}:example.org`);
    const rules = new Map(ids.map((id) => [id, compileRuleset(buildRuleset(id, [], []), { owner: id, templates })]));
    const displayNames = new Map(ids.map((id, i) => [id, `Member Number ${i}`]));
    const base = (content: Record<string, unknown>) => ({ event: msg(content), roomMemberCount: 31, senderPowerLevel: 0, roomVersion: "12" });
    const plain = evaluateRecipients(ids, { rules, displayNames }, base({ msgtype: "m.text", body: "lunch?" }));
    expect(plain.individual).toEqual([]);
    expect(plain.groups.map((g) => [g.userIds.length, g.outcome.notify, g.outcome.highlight])).toEqual([[30, true, false]]);
    const named = evaluateRecipients(ids, { rules, displayNames }, base({ msgtype: "m.text", body: "ask member Number 12 or @member3:example.org" }));
    // member1's localpart is inside member12's: evaluated alone too, and not highlighted.
    expect(named.individual.map(([id, o]) => [id, o.highlight])).toEqual([
      ["@member1:example.org", false],
      ["@member3:example.org", true],
      ["@member12:example.org", true],
    ]);
    expect(named.groups[0]!.userIds.length).toBe(27);
    const mentioned = evaluateRecipients(ids, { rules, displayNames }, base({ msgtype: "m.text", body: "hi", "m.mentions": { user_ids: ["@member7:example.org"] } }));
    expect(mentioned.individual.map(([id, o]) => [id, o.highlight])).toEqual([["@member7:example.org", true]]);
    // One index serves many events (a room keeps it): each gets what a fresh evaluation gives,
    // including names shorter than three characters and names inside words.
    const short = new Map(displayNames);
    short.set("@member5:example.org", "Al");
    short.set("@member6:example.org", "zed");
    const index = new RecipientIndex(ids, { rules, displayNames: short });
    for (const body of ["lunch?", "ask al", "HALT", "zedonk", "member2 and Member Number 9", "@member3:example.org", "a"]) {
      const fresh = evaluateRecipients(ids, { rules, displayNames: short }, base({ msgtype: "m.text", body }), undefined, "@member0:example.org");
      const reused = index.evaluate(base({ msgtype: "m.text", body }), undefined, "@member0:example.org");
      expect({ body, reused }).toEqual({ body, reused: fresh });
      const slow = index.evaluate(base({ msgtype: "m.text", body }), "@nobody:example.org", "@member0:example.org");
      expect({ body, reused }).toEqual({ body, reused: slow });
    }
    expect(index.evaluate(base({ msgtype: "m.text", body: "HALT" })).individual.map(([id]) => id)).toEqual(["@member5:example.org"]);
    // The sender is in the member list the caller passes, and skipped: no outcome of their own.
    const sent = evaluateRecipients(ids, { rules, displayNames }, base({ msgtype: "m.text", body: "lunch?" }), undefined, "@member4:example.org");
    expect(sent.individual).toEqual([]);
    expect(sent.groups.map((g) => g.userIds.length)).toEqual([29]);
    expect(sent.groups[0]!.userIds).not.toContain("@member4:example.org");
  });
});
