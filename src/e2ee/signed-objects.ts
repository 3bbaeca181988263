// Pure helpers for the signed JSON objects of end-to-end encryption: device keys and
// cross-signing keys.
import { canonicalJson } from "../matrix/canonical-json.ts";
import { decodeBase64 } from "../matrix/base64.ts";
import type { Json } from "./ports.ts";

export interface SignatureEntry {
  signerUserId: string;
  signerKeyId: string;
  signature: string;
}

/** A copy of `obj` with `extra` signatures added to its `signatures`. */
export function withSignatures<T extends Json>(obj: T, extra: SignatureEntry[]): T {
  if (extra.length === 0) return obj;
  const existing = isObject(obj.signatures) ? obj.signatures : {};
  const signatures: Record<string, Record<string, unknown>> = {};
  for (const [user, sigs] of Object.entries(existing)) signatures[user] = isObject(sigs) ? { ...sigs } : {};
  for (const e of extra) (signatures[e.signerUserId] ??= {})[e.signerKeyId] = e.signature;
  return { ...obj, signatures };
}

/** Canonical JSON of the object without `signatures` and `unsigned`: what signatures cover. */
export function signedContent(obj: Json): string {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  return canonicalJson(rest);
}

/**
 * The key id (`ed25519:<public key>`) and public key of a cross-signing key: it must hold
 * exactly one key, an ed25519 key of 32 bytes. Null when it does not.
 */
export function crossSigningPublicKey(key: Json): { keyId: string; publicKey: string } | null {
  if (!isObject(key.keys)) return null;
  const entries = Object.entries(key.keys);
  if (entries.length !== 1) return null;
  const [keyId, publicKey] = entries[0]!;
  if (!keyId.startsWith("ed25519:") || typeof publicKey !== "string") return null;
  try {
    if (decodeBase64(publicKey).length !== 32) return null;
  } catch {
    return null;
  }
  return { keyId, publicKey };
}

/** The ed25519 key of a device from its `device_keys` object. */
export function deviceEd25519Key(deviceKeys: Json, deviceId: string): string | undefined {
  const keys = deviceKeys.keys;
  if (!isObject(keys)) return undefined;
  const k = keys[`ed25519:${deviceId}`];
  return typeof k === "string" ? k : undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `<algorithm>:<key id>` split at its only colon; null when it has none or several. */
export function splitKeyId(id: string): { algorithm: string; keyId: string } | null {
  const parts = id.split(":");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return null;
  return { algorithm: parts[0]!, keyId: parts[1]! };
}
