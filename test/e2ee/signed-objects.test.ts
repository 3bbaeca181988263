import { describe, expect, test } from "bun:test";
import { crossSigningPublicKey, signedContent, splitKeyId, withSignatures } from "../../src/e2ee/signed-objects.ts";

describe("signed objects", () => {
  test("withSignatures merges without touching the original", () => {
    const obj = { a: 1, signatures: { "@u:x": { "ed25519:D": "s1" } } };
    const out = withSignatures(obj, [
      { signerUserId: "@u:x", signerKeyId: "ed25519:SSK", signature: "s2" },
      { signerUserId: "@v:x", signerKeyId: "ed25519:USK", signature: "s3" },
    ]);
    expect(out.signatures as unknown).toEqual({ "@u:x": { "ed25519:D": "s1", "ed25519:SSK": "s2" }, "@v:x": { "ed25519:USK": "s3" } });
    expect(obj.signatures).toEqual({ "@u:x": { "ed25519:D": "s1" } });
  });

  test("signedContent ignores signatures and unsigned and key order", () => {
    expect(signedContent({ b: 1, a: 2, signatures: { x: {} }, unsigned: { y: 1 } })).toBe(signedContent({ a: 2, b: 1 }));
    expect(signedContent({ a: 1 })).not.toBe(signedContent({ a: 2 }));
  });

  test("crossSigningPublicKey wants exactly one 32-byte ed25519 key", () => {
    const pub = Buffer.alloc(32, 7).toString("base64").replace(/=+$/, "");
    expect(crossSigningPublicKey({ keys: { [`ed25519:${pub}`]: pub } })).toEqual({ keyId: `ed25519:${pub}`, publicKey: pub });
    expect(crossSigningPublicKey({ keys: {} })).toBeNull();
    expect(crossSigningPublicKey({ keys: { [`ed25519:${pub}`]: pub, "ed25519:other": pub } })).toBeNull();
    expect(crossSigningPublicKey({ keys: { [`curve25519:${pub}`]: pub } })).toBeNull();
    expect(crossSigningPublicKey({ keys: { "ed25519:short": "c2hvcnQ" } })).toBeNull();
    expect(crossSigningPublicKey({ keys: { "ed25519:bad": "not base64!" } })).toBeNull();
  });

  test("splitKeyId", () => {
    expect(splitKeyId("signed_curve25519:AAAAAQ")).toEqual({ algorithm: "signed_curve25519", keyId: "AAAAAQ" });
    expect(splitKeyId("nocolon")).toBeNull();
    expect(splitKeyId("a:b:c")).toBeNull();
    expect(splitKeyId(":b")).toBeNull();
  });
});
