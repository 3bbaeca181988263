import { describe, expect, test } from "bun:test";
import { errorOf } from "../support/matrix-error.ts";
import { isInlineFilter, parseFilter, parseInlineFilter } from "../../src/sync/filter.ts";

const specExample = {
  room: {
    state: { types: ["m.room.*"], not_rooms: ["!726s6s6q:example.com"], lazy_load_members: true },
    timeline: {
      limit: 10,
      types: ["m.room.message"],
      not_rooms: ["!726s6s6q:example.com"],
      not_senders: ["@spam:example.com"],
      unread_thread_notifications: true,
    },
    ephemeral: { types: ["m.receipt", "m.typing"], not_rooms: ["!726s6s6q:example.com"], not_senders: ["@spam:example.com"] },
    account_data: { types: ["m.tag"] },
    include_leave: false,
  },
  presence: { types: ["m.presence"], not_senders: ["@alice:example.com"] },
  account_data: { not_types: ["*"] },
  event_format: "client",
  event_fields: ["type", "content", "sender"],
};

describe("parseFilter", () => {
  test("accepts the spec's example and returns it unchanged", () => {
    expect(parseFilter(specExample) as unknown).toEqual(specExample);
  });

  test("accepts an empty filter", () => {
    expect(parseFilter({})).toEqual({});
  });

  test("keeps unknown keys for forward compatibility", () => {
    const f = { "org.example.x": 1, room: { timeline: { "org.matrix.labels": ["a"] } } };
    expect(parseFilter(f)).toEqual(f);
  });

  test("rejects a non-integer limit, naming the field", () => {
    const e = errorOf(() => parseFilter({ room: { timeline: { limit: 1.5 } } }));
    expect(e).toMatchObject({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(e.message).toContain("room.timeline.limit");
    const s = errorOf(() => parseFilter({ room: { timeline: { limit: "10" } } }));
    expect(s).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect(s.message).toContain("room.timeline.limit");
    expect(errorOf(() => parseFilter({ presence: { limit: -1 } })).errcode).toBe("M_INVALID_PARAM");
    expect(parseFilter({ room: { timeline: { limit: 0 } } }).room?.timeline?.limit).toBe(0);
  });

  test("rejects types that are not a list of strings", () => {
    const e = errorOf(() => parseFilter({ room: { state: { types: "m.room.member" } } }));
    expect(e).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect(e.message).toContain("room.state.types");
    const item = errorOf(() => parseFilter({ presence: { not_types: ["ok", 3] } }));
    expect(item.errcode).toBe("M_BAD_JSON");
    expect(item.message).toContain("presence.not_types.1");
  });

  test("checks user and room ID lists", () => {
    const s = errorOf(() => parseFilter({ room: { timeline: { senders: ["alice"] } } }));
    expect(s.errcode).toBe("M_INVALID_PARAM");
    expect(s.message).toContain("room.timeline.senders.0");
    const r = errorOf(() => parseFilter({ room: { rooms: ["#alias:example.com"] } }));
    expect(r.errcode).toBe("M_INVALID_PARAM");
    expect(r.message).toContain("room.rooms.0");
  });

  test("rejects a bad event_format, wrong-typed flags and a non-object filter", () => {
    const f = errorOf(() => parseFilter({ event_format: "xml" }));
    expect(f.errcode).toBe("M_INVALID_PARAM");
    expect(f.message).toContain("event_format");
    expect(errorOf(() => parseFilter({ room: { include_leave: "yes" } })).message).toContain("room.include_leave");
    expect(errorOf(() => parseFilter({ room: { timeline: { contains_url: 1 } } })).errcode).toBe("M_BAD_JSON");
    expect(errorOf(() => parseFilter({ room: { state: { lazy_load_members: null } } })).errcode).toBe("M_BAD_JSON");
    expect(errorOf(() => parseFilter([])).errcode).toBe("M_BAD_JSON");
    expect(errorOf(() => parseFilter("{}")).errcode).toBe("M_BAD_JSON");
    expect(errorOf(() => parseFilter({ event_fields: "type" })).message).toContain("event_fields");
    expect(errorOf(() => parseFilter({ room: { timeline: [] } })).message).toContain("room.timeline");
  });
});

describe("inline filters", () => {
  test("tells inline JSON from filter IDs", () => {
    expect(isInlineFilter('{"room":{}}')).toBe(true);
    expect(isInlineFilter("66696p746572")).toBe(false);
  });

  test("parses inline JSON and rejects what is not JSON", () => {
    expect(parseInlineFilter('{"room":{"timeline":{"limit":5}}}')).toEqual({ room: { timeline: { limit: 5 } } });
    expect(errorOf(() => parseInlineFilter("{room"))).toMatchObject({ status: 400, errcode: "M_NOT_JSON" });
    expect(errorOf(() => parseInlineFilter('{"room":{"timeline":{"limit":"x"}}}')).errcode).toBe("M_BAD_JSON");
  });
});
