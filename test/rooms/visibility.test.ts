import { describe, expect, test } from "bun:test";
import { isVisibleTo, type VisibilityInput } from "../../src/rooms/visibility.ts";
import { parseToken, tokenAfter, tokenBefore } from "../../src/rooms/tokens.ts";

const me = "@me:x";
const message = { type: "m.room.message", content: { body: "hi" } };

function visible(over: Partial<VisibilityInput>): boolean {
  return isVisibleTo({ userId: me, event: message, visibility: "shared", membership: undefined, isPeeking: false, ...over });
}

describe("history visibility rules", () => {
  test.each([
    // [visibility, membership at the event, peeking, expected]
    ["world_readable", undefined, true, true],
    ["world_readable", "leave", false, true],
    ["shared", undefined, true, false],
    ["shared", undefined, false, true],
    ["shared", "join", false, true],
    ["invited", "invite", false, true],
    ["invited", "leave", false, false],
    ["invited", undefined, false, false],
    ["invited", "join", false, true],
    ["joined", "join", false, true],
    ["joined", "invite", false, false],
    ["joined", undefined, false, false],
    ["joined", "join", true, false],
    [undefined, undefined, false, true],
    ["something-new", undefined, false, true],
  ] as const)("visibility %s, membership %s, peeking %s → %s", (visibility, membership, isPeeking, expected) => {
    expect(visible({ visibility, membership, isPeeking })).toBe(expected);
  });

  test("a user sees their own leave after a join or invite, but not after a ban", () => {
    const leave = { type: "m.room.member", stateKey: me, content: { membership: "leave" } };
    expect(visible({ event: leave, visibility: "joined", membership: "leave", prevContent: { membership: "join" } })).toBe(true);
    expect(visible({ event: leave, visibility: "joined", membership: "leave", prevContent: { membership: "invite" } })).toBe(true);
    expect(visible({ event: leave, visibility: "joined", membership: "leave", prevContent: { membership: "ban" } })).toBe(false);
  });

  test("own membership events count at the more permissive of old and new", () => {
    const ban = { type: "m.room.member", stateKey: me, content: { membership: "ban" } };
    expect(visible({ event: ban, visibility: "joined", membership: "ban", prevContent: { membership: "join" } })).toBe(true);
    const join = { type: "m.room.member", stateKey: me, content: { membership: "join" } };
    expect(visible({ event: join, visibility: "joined", membership: "join" })).toBe(true);
    // Someone else's membership event is judged by the reader's membership.
    const other = { type: "m.room.member", stateKey: "@other:x", content: { membership: "join" } };
    expect(visible({ event: other, visibility: "joined", membership: undefined })).toBe(false);
  });

  test("a history_visibility event is judged at the more permissive of old and new", () => {
    const hv = { type: "m.room.history_visibility", content: { history_visibility: "joined" } };
    expect(visible({ event: hv, visibility: "joined", membership: undefined, prevContent: { history_visibility: "shared" } })).toBe(true);
    expect(visible({ event: hv, visibility: "joined", membership: undefined, prevContent: { history_visibility: "joined" } })).toBe(false);
    const opening = { type: "m.room.history_visibility", content: { history_visibility: "world_readable" } };
    expect(visible({ event: opening, visibility: "world_readable", membership: undefined, isPeeking: true, prevContent: { history_visibility: "joined" } })).toBe(true);
  });
});

describe("pagination tokens", () => {
  test("parse and format", () => {
    expect(parseToken("t12-345")).toEqual({ kind: "topo", depth: 12, stream: 345 });
    expect(parseToken("s99")).toEqual({ kind: "stream", stream: 99 });
    expect(parseToken("s99_5_7")).toEqual({ kind: "stream", stream: 99 });
    expect(tokenBefore({ depth: 3, streamOrdering: 10 })).toBe("t3-9");
    expect(tokenAfter({ depth: 3, streamOrdering: 10 })).toBe("t3-10");
    for (const bad of ["", "t", "t1", "t1-", "x1", "s", "s-1", "t1-2-3", "tt1-2", "s1e5"]) {
      expect(() => parseToken(bad)).toThrow();
    }
  });
});
