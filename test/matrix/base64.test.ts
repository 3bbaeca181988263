import { describe, expect, test } from "bun:test";
import { decodeBase64, decodeUrlSafeBase64, encodeBase64, encodeUrlSafeBase64 } from "../../src/matrix/base64.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("unpadded base64", () => {
  test("the spec appendix examples", () => {
    const table: [string, string][] = [["", ""], ["f", "Zg"], ["fo", "Zm8"], ["foo", "Zm9v"], ["foob", "Zm9vYg"], ["fooba", "Zm9vYmE"], ["foobar", "Zm9vYmFy"]];
    for (const [plain, encoded] of table) {
      expect(encodeBase64(bytes(plain))).toBe(encoded);
      expect(decodeBase64(encoded)).toEqual(bytes(plain));
    }
  });

  test("decoding accepts padding", () => {
    expect(decodeBase64("Zg==")).toEqual(bytes("f"));
    expect(decodeBase64("Zm8=")).toEqual(bytes("fo"));
  });

  test("standard and URL-safe alphabets differ in the last two characters", () => {
    const data = new Uint8Array([0xfb, 0xff, 0xbf]);
    expect(encodeBase64(data)).toBe("+/+/");
    expect(encodeUrlSafeBase64(data)).toBe("-_-_");
    expect(decodeUrlSafeBase64("-_-_")).toEqual(data);
    expect(decodeUrlSafeBase64("-_8")).toEqual(new Uint8Array([0xfb, 0xff]));
  });

  test("works on subarrays", () => {
    const buf = bytes("xxfoo").subarray(2);
    expect(encodeBase64(buf)).toBe("Zm9v");
  });

  test("invalid input throws instead of being skipped", () => {
    for (const bad of ["Zm9v!", "Z", "Zm9vY", "Zg=", "Zm9v-_", "Zg===", " Zg"]) {
      expect(() => decodeBase64(bad)).toThrow(TypeError);
    }
    expect(() => decodeUrlSafeBase64("+/+/")).toThrow(TypeError);
  });
});
