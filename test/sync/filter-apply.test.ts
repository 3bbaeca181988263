import { describe, expect, test } from "bun:test";
import {
  applyEventFields,
  eventFormat,
  excludesEverything,
  includeLeave,
  includeRedundantMembers,
  lazyLoadMembers,
  matchesEventFilter,
  matchesRoom,
  matchesTypePattern,
  timelineLimit,
  unreadThreadNotifications,
} from "../../src/sync/filter-apply.ts";
import { parseFilter } from "../../src/sync/filter.ts";

const ev = (type: string, extra: { sender?: string; roomId?: string; content?: unknown } = {}) => ({
  type,
  sender: "@bob:example.org",
  roomId: "!a:example.org",
  content: {},
  ...extra,
});

describe("matchesTypePattern", () => {
  test("exact types and * wildcards", () => {
    expect(matchesTypePattern("m.room.message", "m.room.message")).toBe(true);
    expect(matchesTypePattern("m.room.message", "m.room.member")).toBe(false);
    expect(matchesTypePattern("m.room.message", "m.room.*")).toBe(true);
    expect(matchesTypePattern("m.room", "m.room.*")).toBe(false);
    expect(matchesTypePattern("anything", "*")).toBe(true);
    expect(matchesTypePattern("m.call.invite", "m.*.invite")).toBe(true);
    expect(matchesTypePattern("m.call.hangup", "m.*.invite")).toBe(false);
    expect(matchesTypePattern("m.aXb", "m.*X*b")).toBe(true);
    expect(matchesTypePattern("m.ab", "m.a*b*")).toBe(true);
    expect(matchesTypePattern("m.a", "m.a*a")).toBe(false);
    // Other glob characters are literal here.
    expect(matchesTypePattern("m.room.x", "m.room.?")).toBe(false);
    // Event types are case-sensitive.
    expect(matchesTypePattern("M.ROOM.MESSAGE", "m.room.*")).toBe(false);
  });
});

describe("matchesEventFilter", () => {
  test("an absent or empty filter lets everything through", () => {
    expect(matchesEventFilter(undefined, ev("x"))).toBe(true);
    expect(matchesEventFilter({}, ev("x"))).toBe(true);
  });

  test("types and not_types, with not_types taking precedence", () => {
    const f = { types: ["m.room.*"], not_types: ["m.room.member"] };
    expect(matchesEventFilter(f, ev("m.room.message"))).toBe(true);
    expect(matchesEventFilter(f, ev("m.room.member"))).toBe(false);
    expect(matchesEventFilter(f, ev("m.reaction"))).toBe(false);
    expect(matchesEventFilter({ types: [] }, ev("m.room.message"))).toBe(false);
    expect(matchesEventFilter({ not_types: ["*"] }, ev("m.room.message"))).toBe(false);
  });

  test("senders and not_senders", () => {
    expect(matchesEventFilter({ senders: ["@bob:example.org"] }, ev("t"))).toBe(true);
    expect(matchesEventFilter({ senders: ["@carol:example.org"] }, ev("t"))).toBe(false);
    expect(matchesEventFilter({ senders: ["@bob:example.org"], not_senders: ["@bob:example.org"] }, ev("t"))).toBe(false);
    // An allow list rejects events without a sender; a deny list does not.
    expect(matchesEventFilter({ senders: ["@bob:example.org"] }, { type: "t" })).toBe(false);
    expect(matchesEventFilter({ not_senders: ["@bob:example.org"] }, { type: "t" })).toBe(true);
  });

  test("rooms and not_rooms on room event filters", () => {
    expect(matchesEventFilter({ rooms: ["!a:example.org"] }, ev("t"))).toBe(true);
    expect(matchesEventFilter({ rooms: ["!b:example.org"] }, ev("t"))).toBe(false);
    expect(matchesEventFilter({ rooms: ["!a:example.org"], not_rooms: ["!a:example.org"] }, ev("t"))).toBe(false);
  });

  test("contains_url", () => {
    const withUrl = ev("m.room.message", { content: { url: "mxc://x/y" } });
    const withoutUrl = ev("m.room.message", { content: { body: "hi" } });
    const numericUrl = ev("m.room.message", { content: { url: 5 } });
    expect(matchesEventFilter({ contains_url: true }, withUrl)).toBe(true);
    expect(matchesEventFilter({ contains_url: true }, withoutUrl)).toBe(false);
    expect(matchesEventFilter({ contains_url: true }, numericUrl)).toBe(false);
    expect(matchesEventFilter({ contains_url: false }, withUrl)).toBe(false);
    expect(matchesEventFilter({ contains_url: false }, withoutUrl)).toBe(true);
    expect(matchesEventFilter({}, withUrl)).toBe(true);
  });

  test("works on filters straight from parseFilter", () => {
    const f = parseFilter({ room: { timeline: { types: ["m.room.message"], not_senders: ["@spam:example.org"] } } });
    expect(matchesEventFilter(f.room?.timeline, ev("m.room.message"))).toBe(true);
    expect(matchesEventFilter(f.room?.timeline, ev("m.room.message", { sender: "@spam:example.org" }))).toBe(false);
  });

  test("ignores room lists smuggled into a plain event filter as unknown keys", () => {
    const f = parseFilter({ presence: { rooms: "not-a-list" } });
    expect(matchesEventFilter(f.presence, { type: "m.presence", sender: "@a:x" })).toBe(true);
  });
});

describe("matchesRoom and excludesEverything", () => {
  test("top-level room lists", () => {
    const f = parseFilter({ room: { rooms: ["!a:x", "!b:x"], not_rooms: ["!b:x"] } });
    expect(matchesRoom(f, "!a:x")).toBe(true);
    expect(matchesRoom(f, "!b:x")).toBe(false);
    expect(matchesRoom(f, "!c:x")).toBe(false);
    expect(matchesRoom(undefined, "!c:x")).toBe(true);
    expect(matchesRoom(parseFilter({ room: { not_rooms: ["!c:x"] } }), "!d:x")).toBe(true);
  });

  test("recognises filters that can match nothing", () => {
    expect(excludesEverything(undefined)).toBe(false);
    expect(excludesEverything({})).toBe(false);
    expect(excludesEverything({ types: [] })).toBe(true);
    expect(excludesEverything({ not_types: ["*"] })).toBe(true);
    expect(excludesEverything({ senders: [] })).toBe(true);
    expect(excludesEverything({ rooms: [] })).toBe(true);
    expect(excludesEverything({ not_types: ["m.*"] })).toBe(false);
  });
});

describe("settings", () => {
  test("timelineLimit uses the filter, then the default, capped by max", () => {
    expect(timelineLimit(undefined)).toBe(10);
    expect(timelineLimit(parseFilter({}), 20)).toBe(20);
    expect(timelineLimit(parseFilter({ room: { timeline: { limit: 3 } } }))).toBe(3);
    expect(timelineLimit(parseFilter({ room: { timeline: { limit: 5000 } } }), 10, 100)).toBe(100);
  });

  test("flags default to false and the format to client", () => {
    const none = parseFilter({});
    expect([includeLeave(none), lazyLoadMembers(none), includeRedundantMembers(none), unreadThreadNotifications(none)]).toEqual(
      [false, false, false, false],
    );
    expect(eventFormat(none)).toBe("client");
    const all = parseFilter({
      event_format: "federation",
      room: {
        include_leave: true,
        state: { lazy_load_members: true, include_redundant_members: true },
        timeline: { unread_thread_notifications: true },
      },
    });
    expect([includeLeave(all), lazyLoadMembers(all), includeRedundantMembers(all), unreadThreadNotifications(all)]).toEqual(
      [true, true, true, true],
    );
    expect(eventFormat(all)).toBe("federation");
  });
});

describe("applyEventFields", () => {
  const event = {
    type: "m.room.message",
    sender: "@bob:example.org",
    event_id: "$e",
    content: { body: "hi", msgtype: "m.text", "m.relates_to": { rel_type: "m.thread", event_id: "$root" } },
    unsigned: { age: 5 },
  };

  test("absent or empty field lists keep everything", () => {
    expect(applyEventFields(event, undefined)).toBe(event);
    expect(applyEventFields(event, [])).toBe(event);
  });

  test("keeps top-level and nested fields", () => {
    expect(applyEventFields(event, ["type", "content.body"])).toEqual({ type: "m.room.message", content: { body: "hi" } });
  });

  test("honours escaped dots in property names", () => {
    expect(applyEventFields(event, ["content.m\\.relates_to.rel_type"])).toEqual({
      content: { "m.relates_to": { rel_type: "m.thread" } },
    });
    expect(applyEventFields(event, ["content.m.relates_to"])).toEqual({});
  });

  test("skips missing paths and paths through non-objects", () => {
    expect(applyEventFields(event, ["state_key", "content.body.length", "unsigned.age"])).toEqual({ unsigned: { age: 5 } });
  });

  test("never modifies the input, even with overlapping fields", () => {
    const copy = structuredClone(event);
    const out = applyEventFields(event, ["content", "content.m\\.relates_to.rel_type", "content.body"]);
    expect(out).toEqual({ content: event.content });
    expect(event).toEqual(copy);
    const out2 = applyEventFields(event, ["content.body", "content"]);
    expect(out2.content).toEqual(event.content);
    expect(event).toEqual(copy);
  });
});
