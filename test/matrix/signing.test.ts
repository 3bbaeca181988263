import { describe, expect, test } from "bun:test";
import { decodeBase64, encodeBase64 } from "../../src/matrix/base64.ts";
import {
  formatSigningKeyFile,
  generateSigningKey,
  parseSigningKeyFile,
  publicKeyBase64,
  sign,
  signJson,
  signingKeyFromSeed,
  verify,
  verifyJsonSignature,
} from "../../src/matrix/signing.ts";

// Spec appendix "Cryptographic Test Vectors".
const SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
const specKey = () => signingKeyFromSeed("1", decodeBase64(SEED));

describe("JSON signing: spec test vectors", () => {
  test("signing {} as domain", () => {
    const signed = signJson({}, "domain", specKey());
    expect(signed).toEqual({
      signatures: {
        domain: {
          "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
        },
      },
    });
  });

  test("signing an object with data", () => {
    const signed = signJson({ one: 1, two: "Two" }, "domain", specKey());
    expect(signed).toEqual({
      one: 1,
      signatures: {
        domain: {
          "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
        },
      },
      two: "Two",
    });
  });

  test("the signature verifies with the key's public half", () => {
    const key = specKey();
    const signed = signJson({ one: 1, two: "Two" }, "domain", key);
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", publicKeyBase64(key))).toBe(true);
  });
});

describe("signJson", () => {
  test("ignores unsigned and existing signatures, merges into them and keeps unsigned", () => {
    const key = specKey();
    const input = { one: 1, two: "Two", unsigned: { age_ts: 5 }, signatures: { other: { "ed25519:x": "abc" } } };
    const signed = signJson(input, "domain", key);
    expect(signed.signatures.domain["ed25519:1"]).toBe(
      "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
    );
    expect(signed.signatures.other).toEqual({ "ed25519:x": "abc" });
    expect(signed.unsigned).toEqual({ age_ts: 5 });
    expect(input.signatures).toEqual({ other: { "ed25519:x": "abc" } }); // input untouched
  });

  test("a second key from the same server is added alongside the first", () => {
    const a = specKey();
    const b = generateSigningKey("2");
    const twice = signJson(signJson({ x: 1 }, "domain", a), "domain", b);
    expect(Object.keys(twice.signatures.domain).sort()).toEqual(["ed25519:1", "ed25519:2"]);
    expect(verifyJsonSignature(twice, "domain", "ed25519:2", publicKeyBase64(b))).toBe(true);
  });

  test("refuses non-canonical values", () => {
    expect(() => signJson({ x: 0.5 }, "domain", specKey())).toThrow(TypeError);
  });
});

describe("verifyJsonSignature", () => {
  const key = generateSigningKey();
  const signed = signJson({ content: { body: "hello" } }, "hs1", key);
  const pub = publicKeyBase64(key);

  test("accepts the right key and unsigned changes", () => {
    expect(verifyJsonSignature(signed, "hs1", key.keyId, pub)).toBe(true);
    expect(verifyJsonSignature({ ...signed, unsigned: { age: 1 } }, "hs1", key.keyId, pub)).toBe(true);
  });

  test("rejects tampering, other keys, other servers and garbage", () => {
    expect(verifyJsonSignature({ ...signed, content: { body: "HELLO" } }, "hs1", key.keyId, pub)).toBe(false);
    expect(verifyJsonSignature(signed, "hs1", key.keyId, publicKeyBase64(generateSigningKey()))).toBe(false);
    expect(verifyJsonSignature(signed, "hs2", key.keyId, pub)).toBe(false);
    expect(verifyJsonSignature(signed, "hs1", "ed25519:nope", pub)).toBe(false);
    expect(verifyJsonSignature(signed, "hs1", key.keyId, "not base64!")).toBe(false);
    expect(verifyJsonSignature({ ...signed, signatures: { hs1: { [key.keyId]: "AAAA" } } }, "hs1", key.keyId, pub)).toBe(false);
    expect(verifyJsonSignature({ a: 1 }, "hs1", key.keyId, pub)).toBe(false);
  });
});

describe("raw sign and verify", () => {
  test("round trip and failure", () => {
    const key = generateSigningKey();
    const msg = new TextEncoder().encode("hello");
    const sig = sign(key, msg);
    expect(sig.length).toBe(64);
    expect(verify(key.publicKey, msg, sig)).toBe(true);
    expect(verify(key.publicKey, new TextEncoder().encode("hellO"), sig)).toBe(false);
    expect(verify(key.publicKey.subarray(1), msg, sig)).toBe(false);
  });
});

describe("signing keys", () => {
  test("generated keys have Synapse-style versions and 32-byte halves", () => {
    const key = generateSigningKey();
    expect(key.keyId).toMatch(/^ed25519:a_[A-Za-z0-9]{4}$/);
    expect(key.seed.length).toBe(32);
    expect(key.publicKey.length).toBe(32);
    expect(generateSigningKey("custom").keyId).toBe("ed25519:custom");
  });

  test("the public key is derived from the seed", () => {
    const a = specKey();
    const b = signingKeyFromSeed("other", decodeBase64(SEED));
    expect(encodeBase64(a.publicKey)).toBe(encodeBase64(b.publicKey));
  });

  test("Synapse's key file format round-trips", () => {
    const keys = [specKey(), generateSigningKey("a_Zz09")];
    const text = formatSigningKeyFile(keys);
    // The spec's seed string has non-zero padding bits; re-encoding gives the canonical form.
    expect(text.split("\n")[0]).toBe("ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0");
    const parsed = parseSigningKeyFile(text);
    expect(parsed.map((k) => k.keyId)).toEqual(["ed25519:1", "ed25519:a_Zz09"]);
    expect(parsed[1].seed).toEqual(keys[1].seed);
    expect(parsed[1].publicKey).toEqual(keys[1].publicKey);
  });

  test("the key file parser skips blank lines and comments, accepts padding, rejects junk", () => {
    expect(parseSigningKeyFile(`\n# comment\ned25519 a_abcd ${SEED}=\n\n`)).toHaveLength(1);
    expect(() => parseSigningKeyFile("rsa a_abcd AAAA")).toThrow(TypeError);
    expect(() => parseSigningKeyFile("ed25519 a_abcd")).toThrow(TypeError);
    expect(() => parseSigningKeyFile("ed25519 a_abcd AAAA")).toThrow("32 bytes");
  });
});
