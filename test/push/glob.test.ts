import { describe, expect, test } from "bun:test";
import { compileGlob, compileLiteral } from "../../src/push/glob.ts";
import { escapePropertyName, splitPropertyPath, valueAtPath } from "../../src/push/property-path.ts";

describe("compileGlob", () => {
  test("whole mode anchors both ends and ignores case", () => {
    const m = compileGlob("m.room.*", "whole");
    expect(m("m.room.message")).toBe(true);
    expect(m("M.ROOM.member")).toBe(true);
    expect(m("xm.room.message")).toBe(false);
    expect(m("m.roomy")).toBe(false);
  });

  test("? is exactly one character, including one astral character", () => {
    const m = compileGlob("a?c", "whole");
    expect(m("abc")).toBe(true);
    expect(m("ac")).toBe(false);
    expect(m("abbc")).toBe(false);
    expect(m("a😀c")).toBe(true);
  });

  test("runs of wildcards collapse without changing meaning", () => {
    const m = compileGlob("a?*?*b", "whole");
    expect(m("axyb")).toBe(true);
    expect(m("axb")).toBe(false);
    expect(m("a1234b")).toBe(true);
  });

  test("a pathological pattern stays fast enough to finish", () => {
    const m = compileGlob("*?*?*?*?*?*?*?*?*?*?*x", "whole");
    expect(m("a".repeat(5000))).toBe(false);
  });

  test("word mode needs boundaries at both ends", () => {
    const m = compileGlob("cake", "word");
    expect(m("I like cake.")).toBe(true);
    expect(m("cake")).toBe(true);
    expect(m("cakes")).toBe(false);
    expect(m("pancake")).toBe(false);
    expect(m("snake_cake")).toBe(false);
    expect(m("pan-cake")).toBe(true);
  });

  test("word mode: a pattern starting or ending with a non-word character is its own boundary", () => {
    const m = compileGlob("@room", "word");
    expect(m("hey @room")).toBe(true);
    expect(m("hey@room")).toBe(true);
    expect(m("@roomy")).toBe(false);
  });

  test("literal matchers do not treat * as a wildcard", () => {
    expect(compileLiteral("a*", "word")("a*")).toBe(true);
    expect(compileLiteral("a*", "word")("abc")).toBe(false);
    expect(compileLiteral("A.B", "whole")("a.b")).toBe(true);
    expect(compileLiteral("A.B", "whole")("axb")).toBe(false);
  });
});

describe("property paths", () => {
  test("splits on unescaped dots and unescapes", () => {
    expect(splitPropertyPath("content.body")).toEqual(["content", "body"]);
    expect(splitPropertyPath("content.m\\.relates_to.rel_type")).toEqual(["content", "m.relates_to", "rel_type"]);
    expect(splitPropertyPath("m\\\\.foo")).toEqual(["m\\", "foo"]);
    expect(splitPropertyPath("m\\\\\\.foo")).toEqual(["m\\.foo"]);
    expect(splitPropertyPath("m\\foo")).toEqual(["m\\foo"]);
    expect(splitPropertyPath("m\\\\foo")).toEqual(["m\\foo"]);
    expect(splitPropertyPath("type")).toEqual(["type"]);
  });

  test("escapePropertyName round-trips", () => {
    const name = "we\\ird.na.me";
    expect(splitPropertyPath(`content.${escapePropertyName(name)}`)).toEqual(["content", name]);
  });

  test("valueAtPath walks objects only", () => {
    const ev = { content: { a: { b: 1 }, list: [{ x: 1 }] } };
    expect(valueAtPath(ev, ["content", "a", "b"])).toBe(1);
    expect(valueAtPath(ev, ["content", "list", "0"])).toBeUndefined();
    expect(valueAtPath(ev, ["content", "missing", "b"])).toBeUndefined();
    expect(valueAtPath(ev, ["content", "toString"])).toBeUndefined();
  });
});
