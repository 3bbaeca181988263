import { describe, expect, test } from "bun:test";
import { CanonicalJsonError, canonicalJson, canonicalJsonBytes, compareCodepoints } from "../../src/matrix/canonical-json.ts";

describe("canonical JSON: the spec appendix examples", () => {
  const examples: [string, string][] = [
    ["{}", "{}"],
    ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
    ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
    ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
    [
      `{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe",
        "three_pids": [{"medium": "email", "address": "john.doe@example.org"}, {"medium": "msisdn", "address": "123456789"}]}}}`,
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    ['{"a": "日本語"}', '{"a":"日本語"}'],
    ['{"本": 2, "日": 1}', '{"日":1,"本":2}'],
    ['{"a": "\\u65E5"}', '{"a":"日"}'],
    ['{"a": null}', '{"a":null}'],
    ['{"a": -0, "b": 1e10}', '{"a":0,"b":10000000000}'],
  ];
  for (const [input, output] of examples) {
    test(`${input.replace(/\s+/g, " ").slice(0, 50)} -> ${output.slice(0, 40)}`, () => {
      expect(canonicalJson(JSON.parse(input))).toBe(output);
    });
  }
});

describe("canonical JSON: string escaping per the grammar", () => {
  test("short escapes, \\u00XX in lowercase for other controls, everything else raw", () => {
    expect(canonicalJson("\b\t\n\f\r\"\\")).toBe('"\\b\\t\\n\\f\\r\\"\\\\"');
    expect(canonicalJson("\u0000\u0001\u000b\u001f")).toBe('"\\u0000\\u0001\\u000b\\u001f"');
    expect(canonicalJson("/\u007f\u2028\u2029é😀")).toBe('"/\u007f\u2028\u2029é😀"');
  });

  test("lone surrogates cannot be encoded as UTF-8", () => {
    expect(() => canonicalJson({ a: "\ud800" })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ ["\udc00"]: 1 })).toThrow(TypeError);
  });

  test("bytes are UTF-8", () => {
    expect([...canonicalJsonBytes({ a: "é" })]).toEqual([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0xa9, 0x22, 0x7d]);
  });
});

describe("canonical JSON: key order is by code point", () => {
  test("astral characters sort after U+E000..U+FFFF (UTF-16 order would put them first)", () => {
    const value = { "\u{1F600}": 1, "\uFB01": 2, a: 3, B: 4 };
    expect(canonicalJson(value)).toBe('{"B":4,"a":3,"\uFB01":2,"\u{1F600}":1}');
    expect(compareCodepoints("\u{1F600}", "\uFFFF")).toBeGreaterThan(0);
    expect(compareCodepoints("\uD7FF", "\u{10000}")).toBeLessThan(0);
    expect(compareCodepoints("ab", "abc")).toBeLessThan(0);
  });

  test("integer-like keys sort as strings, not first in numeric order as JavaScript lists them", () => {
    const value = { b: { "10": 1, "9": 2, "1a": 3 }, "2": "x", "10": "y", a: [{ "100": 0, "20": 0 }] };
    expect(canonicalJson(value)).toBe('{"10":"y","2":"x","a":[{"100":0,"20":0}],"b":{"10":1,"1a":3,"9":2}}');
  });

  test("nested objects and arrays keep array order", () => {
    expect(canonicalJson({ z: [3, 1, { y: 1, x: 2 }], a: { d: true, c: false } })).toBe(
      '{"a":{"c":false,"d":true},"z":[3,1,{"x":2,"y":1}]}',
    );
  });
});

describe("canonical JSON: numbers", () => {
  test("integers at the edges of the range are allowed", () => {
    expect(canonicalJson([2 ** 53 - 1, -(2 ** 53) + 1, 0])).toBe("[9007199254740991,-9007199254740991,0]");
  });

  test("floats, out-of-range integers and non-finite numbers throw a TypeError naming the path", () => {
    expect(() => canonicalJson({ content: { n: 1.5 } })).toThrow("content.n");
    expect(() => canonicalJson([2 ** 53])).toThrow(TypeError);
    expect(() => canonicalJson({ a: NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: Infinity })).toThrow(CanonicalJsonError);
  });

  test("lenient mode formats legacy numbers like Python's json module", () => {
    const lenient = { lenientNumbers: true };
    expect(canonicalJson({ a: 1.5, b: 0.0001, c: 1.5e-5, d: 123.25, e: -2.5 }, lenient)).toBe(
      '{"a":1.5,"b":0.0001,"c":1.5e-05,"d":123.25,"e":-2.5}',
    );
    expect(canonicalJson([2 ** 60], lenient)).toBe("[1152921504606846976]");
  });

  test("non-JSON values throw", () => {
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(TypeError);
  });

  test("undefined object members are omitted, as JSON.stringify does", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
