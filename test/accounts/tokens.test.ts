import { describe, expect, test } from "bun:test";
import { generateToken, isWellFormedToken } from "../../src/auth/tokens.ts";

describe("token shape", () => {
  test("syt_<unpadded standard base64 of the localpart>_<20 random>_<6+ base62 CRC32>", () => {
    const token = generateToken("syt", "alice");
    expect(token).toMatch(/^syt_YWxpY2U_[A-Za-z0-9]{20}_[A-Za-z0-9]{6,}$/);
    expect(isWellFormedToken(token, "syt")).toBe(true);
    expect(isWellFormedToken(token, "syr")).toBe(false);
  });

  test("localparts whose base64 holds + or / keep four _-separated fields (a proxy can route by user)", () => {
    // "?>?" encodes to "Pz4/", "~~~" to "fn5+".
    for (const localpart of ["?>?", "~~~", "a.b=c/d+e", "x"]) {
      const token = generateToken("syr", localpart);
      const parts = token.split("_");
      expect(parts.length).toBe(4);
      expect(Buffer.from(parts[1]!, "base64").toString("utf8")).toBe(localpart);
      expect(parts[1]).not.toContain("=");
      expect(isWellFormedToken(token, "syr")).toBe(true);
    }
  });

  test("a changed character fails the checksum", () => {
    const token = generateToken("syr", "bob");
    const tampered = token.slice(0, 10) + (token[10] === "A" ? "B" : "A") + token.slice(11);
    expect(isWellFormedToken(tampered, "syr")).toBe(false);
    expect(isWellFormedToken("syr_only_three", "syr")).toBe(false);
  });
});
