import { describe, expect, test } from "bun:test";
import {
  isValidEventId,
  isValidEventType,
  isValidLocalpart,
  isValidRoomAlias,
  isValidRoomId,
  isValidServerName,
  isValidStateKey,
  isValidUserId,
  parseUserId,
  serverNameOf,
} from "../../src/matrix/identifiers.ts";
import { ROOM_VERSIONS } from "../../src/matrix/room-versions.ts";

const HASH = "Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"; // 43 chars, URL-safe
const STD_HASH = "acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk";

describe("server names", () => {
  const valid = ["matrix.org", "matrix.org:8888", "1.2.3.4", "1.2.3.4:1234", "[1234:5678::abcd]", "[1234:5678::abcd]:5678", "localhost", "a-b.example", "MATRIX.ORG"];
  const invalid = ["", "matrix.org:", "matrix.org:123456", "matrix.org:port", "bad_host.org", "a..b", ".a", "a.", "[1234:5678::abcd", "[]", "[xyz::1]", "1.2.3.256", "host name", "a/b", "[::1]x"];
  for (const s of valid) test(`valid: ${s}`, () => expect(isValidServerName(s)).toBe(true));
  for (const s of invalid) test(`invalid: ${JSON.stringify(s)}`, () => expect(isValidServerName(s)).toBe(false));
});

describe("user ids", () => {
  const table: [string, boolean, boolean][] = [
    // id, strict (new ids), historical (accepted over federation)
    ["@alice:example.org", true, true],
    ["@a.b_c=d-e/f+g:hs1:8448", true, true],
    ["@0:[::1]", true, true],
    ["@Alice:example.org", false, true],
    ["@al ice:example.org", false, true],
    ["@:example.org", false, true],
    ["@日本:example.org", false, true],
    ["@alice", false, false],
    ["alice:example.org", false, false],
    ["@alice:", false, false],
    ["@alice:bad_host", false, false],
    ["@a\u0000b:example.org", false, false],
    [`@${"a".repeat(243)}:example.org`, false, false], // 256 bytes
    [`@${"é".repeat(122)}:example.org`, false, false], // 135 characters, 257 bytes
  ];
  for (const [id, strict, historical] of table) {
    test(`${id.slice(0, 40)}: strict ${strict}, historical ${historical}`, () => {
      expect(isValidUserId(id)).toBe(strict);
      expect(isValidUserId(id, { historical: true })).toBe(historical);
      expect(parseUserId(id) !== null).toBe(historical);
    });
  }

  test("255 bytes is the limit, counted in UTF-8", () => {
    const domain = ":example.org";
    const ascii = `@${"a".repeat(255 - 1 - domain.length)}${domain}`;
    expect(ascii.length).toBe(255);
    expect(isValidUserId(ascii)).toBe(true);
    expect(isValidUserId(`@a${ascii.slice(1)}`)).toBe(false);
    const multiByte = `@${"é".repeat(100)}${domain}`; // 113 characters, 213 bytes
    expect(isValidUserId(multiByte, { historical: true })).toBe(true);
    const tooManyBytes = `@${"é".repeat(125)}${domain}`; // 138 characters, 263 bytes
    expect(isValidUserId(tooManyBytes, { historical: true })).toBe(false);
  });

  test("parseUserId splits at the first colon", () => {
    expect(parseUserId("@alice:hs1:8448")).toEqual({ localpart: "alice", serverName: "hs1:8448" });
    expect(serverNameOf("$abc:hs1:8448")).toBe("hs1:8448");
    expect(serverNameOf("$abc")).toBeNull();
  });

  test("localparts", () => {
    expect(isValidLocalpart("a.b_c=d-e/f+g")).toBe(true);
    expect(isValidLocalpart("")).toBe(false);
    expect(isValidLocalpart("A")).toBe(false);
    expect(isValidLocalpart("", { historical: true })).toBe(true);
    expect(isValidLocalpart("A b", { historical: true })).toBe(true);
    expect(isValidLocalpart("a:b", { historical: true })).toBe(false);
    expect(isValidLocalpart("\ud800", { historical: true })).toBe(false);
  });
});

describe("room ids, aliases and event ids", () => {
  test("room ids", () => {
    expect(isValidRoomId("!abc:example.org")).toBe(true);
    expect(isValidRoomId(`!${HASH}`)).toBe(true);
    expect(isValidRoomId(`!${HASH}`, ROOM_VERSIONS["12"])).toBe(true);
    expect(isValidRoomId("!abc:example.org", ROOM_VERSIONS["12"])).toBe(false);
    expect(isValidRoomId(`!${HASH}`, ROOM_VERSIONS["11"])).toBe(false);
    expect(isValidRoomId("!abc:example.org", ROOM_VERSIONS["11"])).toBe(true);
    for (const bad of ["abc:example.org", "!:example.org", "!abc", "!abc:bad host", `!${"a".repeat(250)}:example.org`, "#abc:example.org"]) {
      expect(isValidRoomId(bad)).toBe(false);
    }
  });

  test("aliases", () => {
    expect(isValidRoomAlias("#room:example.org")).toBe(true);
    expect(isValidRoomAlias("#日本 room:example.org")).toBe(true);
    for (const bad of ["room:example.org", "#:example.org", "#room", "#room:", "#ro\u0000om:example.org", `#${"a".repeat(250)}:example.org`]) {
      expect(isValidRoomAlias(bad)).toBe(false);
    }
  });

  test("event ids per room version", () => {
    expect(isValidEventId("$abc:example.org", ROOM_VERSIONS["1"])).toBe(true);
    expect(isValidEventId(`$${HASH}`, ROOM_VERSIONS["1"])).toBe(false);
    expect(isValidEventId(`$${STD_HASH}`, ROOM_VERSIONS["3"])).toBe(true);
    expect(isValidEventId(`$${HASH}`, ROOM_VERSIONS["3"])).toBe(false);
    expect(isValidEventId(`$${HASH}`, ROOM_VERSIONS["4"])).toBe(true);
    expect(isValidEventId(`$${STD_HASH}`, ROOM_VERSIONS["11"])).toBe(false);
    expect(isValidEventId(`$${HASH}`)).toBe(true);
    expect(isValidEventId(`$${STD_HASH}`)).toBe(true);
    expect(isValidEventId("$abc:example.org")).toBe(true);
    expect(isValidEventId("$abc")).toBe(false);
    expect(isValidEventId("abc:example.org")).toBe(false);
  });

  test("event types and state keys are limited to 255 bytes", () => {
    expect(isValidEventType("m.room.message")).toBe(true);
    expect(isValidEventType("")).toBe(false);
    expect(isValidEventType("a".repeat(255))).toBe(true);
    expect(isValidEventType("a".repeat(256))).toBe(false);
    expect(isValidStateKey("")).toBe(true);
    expect(isValidStateKey("é".repeat(127))).toBe(true);
    expect(isValidStateKey("é".repeat(128))).toBe(false);
  });

  test("non-strings are invalid, never a throw", () => {
    const junk = [undefined, null, 42, {}, []] as unknown as string[];
    for (const j of junk) {
      expect(isValidUserId(j)).toBe(false);
      expect(parseUserId(j)).toBeNull();
      expect(isValidRoomId(j)).toBe(false);
      expect(isValidRoomAlias(j)).toBe(false);
      expect(isValidEventId(j)).toBe(false);
      expect(isValidServerName(j)).toBe(false);
      expect(isValidEventType(j)).toBe(false);
      expect(isValidStateKey(j)).toBe(false);
    }
  });
});
