// Ed25519 signing of JSON (spec appendix "Signing JSON") on node:crypto, and Synapse's
// signing key file format (`ed25519 <version> <unpadded base64 seed>` per line).
import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from "node:crypto";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";

export interface SigningKey {
  /** `ed25519:<version>`, e.g. `ed25519:a_AbCd`. */
  keyId: string;
  /** The 32-byte ed25519 seed (the private key). */
  seed: Uint8Array;
  /** The 32-byte ed25519 public key. */
  publicKey: Uint8Array;
}

export type Signatures = Record<string, Record<string, string>>;

// DER wrappers that turn raw 32-byte ed25519 keys into PKCS#8 / SPKI for node:crypto.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The seed as a PKCS#8 DER private key (what node:crypto's createPrivateKey reads). */
export function privateKeyDer(seed: Uint8Array): Buffer {
  if (seed.length !== 32) throw new TypeError("ed25519 seed must be 32 bytes");
  return Buffer.concat([PKCS8_PREFIX, seed]);
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: privateKeyDer(seed), format: "der", type: "pkcs8" });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new TypeError("ed25519 public key must be 32 bytes");
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
}

export function signingKeyFromSeed(version: string, seed: Uint8Array): SigningKey {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: "der", type: "spki" });
  return {
    keyId: `ed25519:${version}`,
    seed: new Uint8Array(seed),
    publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)),
  };
}

const VERSION_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A fresh key; the default version looks like Synapse's (`a_` + 4 random letters/digits). */
export function generateSigningKey(version?: string): SigningKey {
  const v =
    version ??
    "a_" + Array.from(randomBytes(4), (b) => VERSION_CHARS[b % VERSION_CHARS.length]).join("");
  return signingKeyFromSeed(v, randomBytes(32));
}

const KEY_VERSION = /^[A-Za-z0-9_]+$/;

/** Parses Synapse's signing key file. Blank lines and `#` comments are skipped; anything else malformed throws. */
export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 3 || parts[0] !== "ed25519" || !KEY_VERSION.test(parts[1])) {
      throw new TypeError(`signing key file line ${i + 1}: expected "ed25519 <version> <base64 seed>"`);
    }
    const seed = decodeBase64(parts[2]);
    if (seed.length !== 32) throw new TypeError(`signing key file line ${i + 1}: seed is not 32 bytes`);
    keys.push(signingKeyFromSeed(parts[1], seed));
  }
  return keys;
}

export function formatSigningKeyFile(keys: readonly SigningKey[]): string {
  return keys.map((k) => `ed25519 ${keyVersion(k)} ${encodeBase64(k.seed)}\n`).join("");
}

function keyVersion(key: SigningKey): string {
  if (!key.keyId.startsWith("ed25519:")) throw new TypeError(`not an ed25519 key id: ${key.keyId}`);
  return key.keyId.slice("ed25519:".length);
}

export function publicKeyBase64(key: SigningKey): string {
  return encodeBase64(key.publicKey);
}

// Building a KeyObject from the seed costs about as much as the signature itself, and a
// server signs with the same key all the time. A pure memo keyed by the key object, so it
// is shared by nothing but that key; the seed is compared so a replaced seed is never
// signed with a stale KeyObject.
const keyObjects = new WeakMap<SigningKey, { seed: Uint8Array; object: KeyObject }>();

function cachedPrivateKeyObject(key: SigningKey): KeyObject {
  const cached = keyObjects.get(key);
  if (cached && cached.seed === key.seed) return cached.object;
  const object = privateKeyObject(key.seed);
  keyObjects.set(key, { seed: key.seed, object });
  return object;
}

/** Raw ed25519 signature (64 bytes) over `message`. */
export function sign(key: SigningKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(cryptoSign(null, message, cachedPrivateKeyObject(key)));
}

/** Checks a raw ed25519 signature; false (never a throw) for malformed keys or signatures. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return cryptoVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

function withoutSignedExtras(obj: Record<string, unknown>): Record<string, unknown> {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  return rest;
}

/**
 * Signs `obj` as `signingName` (a server name): canonical JSON without `signatures` and
 * `unsigned`, signature merged into any existing ones. Returns a copy; `obj` is untouched.
 * Throws CanonicalJsonError if `obj` is not canonical-JSON encodable.
 */
export function signJson<T extends object>(
  obj: T,
  signingName: string,
  key: SigningKey,
): T & { signatures: Signatures } {
  const record = obj as Record<string, unknown>;
  const signature = encodeBase64(sign(key, canonicalJsonBytes(withoutSignedExtras(record))));
  const existing = isRecord(record.signatures) ? (record.signatures as Signatures) : {};
  const signatures: Signatures = { ...existing, [signingName]: { ...existing[signingName], [key.keyId]: signature } };
  return { ...obj, signatures };
}

/**
 * Checks that `obj` carries a valid signature by `signingName` with `keyId`. Numbers are
 * encoded leniently so legacy (room version 1-5) events can still be verified; strictness
 * of the JSON itself is the caller's format check.
 */
export function verifyJsonSignature(
  obj: object,
  signingName: string,
  keyId: string,
  publicKeyBase64: string,
): boolean {
  const record = obj as Record<string, unknown>;
  const sigs = record.signatures;
  if (!isRecord(sigs)) return false;
  const byServer = sigs[signingName];
  if (!isRecord(byServer)) return false;
  const sig = byServer[keyId];
  if (typeof sig !== "string") return false;
  try {
    const message = canonicalJsonBytes(withoutSignedExtras(record), { lenientNumbers: true });
    return verify(decodeBase64(publicKeyBase64), message, decodeBase64(sig));
  } catch {
    return false;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
